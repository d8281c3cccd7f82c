# The ggl daemons as units of the user manager that user_manager.sh started, from the
# same unit files a device installs (docs/testing.md). Sourced after user_manager.sh:
#
#     start_ggl_daemons BIN_DIR [GGDEPLOYMENTD_ARGS]
#
# takes the units beside BIN_DIR (an install tree's PREFIX/lib/systemd/system, or a build
# tree's units/), adapts them for the sandbox (install_ggl_user_units), starts ggl.target
# (every daemon's socket and Type=notify service) and stops it at exit.
# ggl_daemon_journals prints their last journal lines, for a failing test.

# Where the units for BIN_DIR are: an install tree, or the build tree BIN_DIR is in.
ggl_units_dir() {  # BIN_DIR
    for dir in "$1/../lib/systemd/system" "$1/../units"; do
        if [ -f "$dir/ggl.target" ]; then
            (cd "$dir" && pwd)
            return 0
        fi
    done
    echo "no ggl.target beside $1 (in ../lib/systemd/system or ../units): build or install ggl first" >&2
    return 1
}

# install_ggl_user_units UNITS_DIR BIN_DIR [GGDEPLOYMENTD_ARGS]: writes ggl.target and every
# daemon's .service and .socket into $GGL_UNIT_DIR, adapted for the sandbox's user
# manager: ExecStart runs BIN_DIR's program, the sockets listen in $GGL_RUNTIME_DIR, the
# GGL_* environment points into the sandbox, and WantedBy=multi-user.target becomes
# default.target. What keeps the [Unit], [Socket] and [Service] semantics (Type=notify,
# ordering, PartOf, Restart=, fd names, modes) is kept; identities (User=, Group=,
# SocketGroup=: there is no ggcore here) and the hardening directives are dropped: a
# user manager cannot apply most of them, and ProtectHome=/PrivateTmp= would hide the
# sandbox, which lives under /tmp.
install_ggl_user_units() {
    units_dir=$1
    bin_dir=$2
    deploymentd_args=${3:-}
    environment="\"GGL_ROOT=$GGL_ROOT\" \"GGL_RUNTIME_DIR=$GGL_RUNTIME_DIR\" \"GGL_CONFIG_DIR=$GGL_CONFIG_DIR\""
    environment="$environment \"GGL_CONFIG_DB=$GGL_CONFIG_DB\" \"GGL_UNIT_DIR=$GGL_UNIT_DIR\" \"GGL_SYSTEMD_SCOPE=user\""
    environment="$environment \"XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR\" \"GGL_LOG_LEVEL=${GGL_LOG_LEVEL:-info}\""
    # A sanitizer build's settings reach the daemons too.
    for variable in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
        eval "value=\${$variable:-}"
        [ -n "$value" ] && environment="$environment \"$variable=$value\""
    done
    for unit in "$units_dir"/*.service "$units_dir"/*.socket "$units_dir"/ggl.target; do
        [ -f "$unit" ] || continue
        awk -v bin="$bin_dir" -v run="$GGL_RUNTIME_DIR" -v args="$deploymentd_args" -v env="$environment" '
            /^[ \t]*(#|;|$)/ { next }
            /^\[/ {
                section = $0
                print
                if (section == "[Service]") print "Environment=" env
                next
            }
            {
                key = substr($0, 1, index($0, "=") - 1)
                value = substr($0, index($0, "=") + 1)
            }
            section == "[Unit]" && key ~ /^(Description|Documentation|Requires|Wants|After|Before|PartOf|Conflicts|DefaultDependencies)$/ { print; next }
            section == "[Service]" && key == "ExecStart" {
                program = value
                sub(/ .*/, "", program)
                sub(/.*\//, "", program)
                rest = substr(value, index(value " ", " "))
                if (program == "ggdeploymentd" && args != "") rest = rest " " args
                print "ExecStart=" bin "/" program rest
                next
            }
            section == "[Service]" && key ~ /^(Type|Restart|RestartSec|TimeoutStartSec|TimeoutStopSec|UMask)$/ { print; next }
            section == "[Socket]" && key == "ListenStream" {
                sub(/^\/run\/greengrass/, run, value)
                print key "=" value
                next
            }
            section == "[Socket]" && key ~ /^(FileDescriptorName|SocketMode|DirectoryMode)$/ { print; next }
            section == "[Install]" && key == "WantedBy" {
                sub(/multi-user\.target/, "default.target", value)
                print key "=" value
                next
            }
        ' "$unit" > "$GGL_UNIT_DIR/$(basename "$unit")" || return 1
    done
}

ggl_daemon_journals() {
    for d in ggdeploymentd gghealthd ggconfigd; do
        echo "---- journal of $d" >&2
        journalctl --no-pager -n 60 SYSLOG_IDENTIFIER=$d >&2
    done
    echo "---- what the manager said of them" >&2
    grep -E 'ggdeploymentd|gghealthd|ggconfigd|ggl.target' "$UM_TOP/manager.log" | tail -n 30 >&2
}

start_ggl_daemons() {  # BIN_DIR [GGDEPLOYMENTD_ARGS]
    units_dir=$(ggl_units_dir "$1") || return 1
    install_ggl_user_units "$units_dir" "$(cd "$1" && pwd)" "${2:-}" || return 1
    um_on_exit 'ctl stop ggl.target 2>/dev/null'
    ctl daemon-reload || return 1
    if ! ctl start ggl.target; then
        echo "ggl.target did not start" >&2
        ctl --no-pager list-dependencies ggl.target >&2
        ggl_daemon_journals
        return 1
    fi
    # The target's start job waits for its daemons but succeeds even when one failed
    # (Wants=); each must be up.
    for service in $(ctl show -p After --value ggl.target); do
        case $service in *.service) ;; *) continue ;; esac
        if ! ctl is-active --quiet "$service"; then
            echo "$service did not start" >&2
            ggl_daemon_journals
            return 1
        fi
    done
}
