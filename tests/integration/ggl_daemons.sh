# The ggl daemons as Type=notify units of the user manager that user_manager.sh started,
# configured for its sandbox. Sourced after user_manager.sh:
#
#     start_ggl_daemons BIN_DIR [GGDEPLOYMENTD_ARGS]
#
# writes ggconfigd, gghealthd and ggdeploymentd units (not named ggl.*, which are the
# components' units) into $GGL_UNIT_DIR, starts them, and stops them at exit.
# ggl_daemon_journals prints their last journal lines, for a failing test.

write_ggl_daemon_unit() {  # BIN_DIR NAME [ARGS]
    cat > "$GGL_UNIT_DIR/$2.service" <<UNIT
[Unit]
Description=ggl test daemon $2
[Service]
Type=notify
ExecStart=$1/$2 ${3:-}
Environment="GGL_ROOT=$GGL_ROOT" "GGL_RUNTIME_DIR=$GGL_RUNTIME_DIR" "GGL_CONFIG_DIR=$GGL_CONFIG_DIR"
Environment="GGL_CONFIG_DB=$GGL_CONFIG_DB" "GGL_UNIT_DIR=$GGL_UNIT_DIR" "GGL_SYSTEMD_SCOPE=user"
Environment="XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR" "GGL_LOG_LEVEL=${GGL_LOG_LEVEL:-info}"
UNIT
}

ggl_daemon_journals() {
    for d in ggdeploymentd gghealthd ggconfigd; do
        echo "---- journal of $d" >&2
        journalctl --no-pager -n 60 SYSLOG_IDENTIFIER=$d >&2
    done
    echo "---- what the manager said of them" >&2
    grep -E 'ggdeploymentd|gghealthd|ggconfigd' "$UM_TOP/manager.log" | tail -n 30 >&2
}

start_ggl_daemons() {  # BIN_DIR [GGDEPLOYMENTD_ARGS]
    write_ggl_daemon_unit "$1" ggconfigd
    write_ggl_daemon_unit "$1" gghealthd
    write_ggl_daemon_unit "$1" ggdeploymentd "${2:-}"
    um_on_exit 'ctl stop ggdeploymentd.service gghealthd.service ggconfigd.service 2>/dev/null'
    ctl daemon-reload || return 1
    for d in ggconfigd gghealthd ggdeploymentd; do
        if ! ctl start "$d.service"; then
            echo "$d did not start" >&2
            ggl_daemon_journals
            return 1
        fi
    done
}
