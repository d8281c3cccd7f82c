# A real systemd user manager (and journald) for one test script (docs/testing.md). Sourced:
#
#     . "$(dirname "$0")/user_manager.sh"
#
# at the top of a /bin/sh test, with the script's own arguments still in "$@". It re-runs
# the script in a private mount namespace (needs root; exits 77, ctest's skip, without
# it), mounts tmpfs on /run/systemd, /run/log and /var/log/journal so nothing reaches
# the host, starts systemd-journald and `systemd --user` with a private XDG_RUNTIME_DIR,
# waits until the manager answers, and exports a sandbox under a temp dir:
#
#     UM_TOP              the temp dir (removed on exit)
#     XDG_RUNTIME_DIR     $UM_TOP/xdg (the manager's private socket is in systemd/private)
#     HOME GGL_ROOT GGL_RUNTIME_DIR GGL_CONFIG_DIR GGL_CONFIG_DB
#     GGL_UNIT_DIR        $XDG_RUNTIME_DIR/systemd/user, a directory the manager reads
#     GGL_SYSTEMD_SCOPE   user
#
# Functions: ctl ARGS (systemctl --user), wait_for 'CONDITION' [SECONDS] (re-checks a
# shell condition until it holds or the deadline passes), um_on_exit 'COMMAND' (runs at
# exit, before the manager stops, last registered first), um_logs (prints the manager's
# and journald's logs to stderr, for a failing test). Everything started here is stopped
# and the temp dir removed when the script exits.

if [ -z "${GGL_IN_PRIVATE_NAMESPACE:-}" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for unshare -m"; exit 77; }
    [ -x /lib/systemd/systemd ] || { echo "systemd is needed (apt-get install systemd)" >&2; exit 1; }
    command -v unshare > /dev/null || { echo "unshare is needed (apt-get install util-linux)" >&2; exit 1; }
    exec env GGL_IN_PRIVATE_NAMESPACE=1 unshare -m --propagation private "$0" "$@"
fi

UM_TOP=$(mktemp -d)
um_exit_commands=""
um_manager=""
um_journald=""

um_on_exit() {
    um_exit_commands="$1
$um_exit_commands"
}

um_logs() {
    echo "---- systemd --user log" >&2
    cat "$UM_TOP/manager.log" >&2 2>/dev/null
    echo "---- systemd-journald log" >&2
    cat "$UM_TOP/journald.log" >&2 2>/dev/null
}

# Stops a process started here: TERM, then KILL if it has not gone within 10 s.
um_stop_process() {
    [ -n "$1" ] || return 0
    kill "$1" 2>/dev/null || return 0
    i=0
    while kill -0 "$1" 2>/dev/null && [ "$i" -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

um_cleanup() {
    status=$?
    # Cleanup must run to the end even in a script that uses set -e or set -u.
    set +eu
    # The commands run in the order they were added, most recent first.
    printf '%s\n' "$um_exit_commands" | while IFS= read -r command; do
        [ -n "$command" ] && eval "$command"
    done
    um_stop_process "$um_manager"
    um_stop_process "$um_journald"
    for dir in $um_cgroup_dirs; do
        find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    rm -rf "$UM_TOP"
    exit "$status"
}
trap um_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ctl() { systemctl --user "$@"; }

wait_for() {
    um_deadline=$(( $(date +%s) + ${2:-20} ))
    until eval "$1" 2>/dev/null; do
        [ "$(date +%s)" -lt "$um_deadline" ] || return 1
        sleep 0.05
    done
}

mount -t tmpfs tmpfs /run/systemd && mkdir -p /run/systemd/system || { echo "cannot mount /run/systemd" >&2; exit 1; }
mkdir -p /run/log && mount -t tmpfs tmpfs /run/log || { echo "cannot mount /run/log" >&2; exit 1; }
if [ -d /var/log/journal ]; then
    mount -t tmpfs tmpfs /var/log/journal || { echo "cannot mount /var/log/journal" >&2; exit 1; }
fi

export XDG_RUNTIME_DIR="$UM_TOP/xdg" HOME="$UM_TOP/home" GGL_ROOT="$UM_TOP/root" GGL_RUNTIME_DIR="$UM_TOP/run"
export GGL_CONFIG_DIR="$UM_TOP/etc" GGL_CONFIG_DB="$UM_TOP/root/config.db"
export GGL_UNIT_DIR="$XDG_RUNTIME_DIR/systemd/user" GGL_SYSTEMD_SCOPE=user
mkdir -p "$XDG_RUNTIME_DIR" "$HOME" "$GGL_ROOT/packages/recipes" "$GGL_RUNTIME_DIR" "$GGL_CONFIG_DIR" "$GGL_UNIT_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

if [ -x /lib/systemd/systemd-journald ]; then
    /lib/systemd/systemd-journald > "$UM_TOP/journald.log" 2>&1 &
    um_journald=$!
    wait_for '[ -S /run/systemd/journal/stdout ]' 20 || { um_logs; echo "systemd-journald did not start" >&2; exit 1; }
fi

# Each manager gets cgroups of its own: the cgroup tree is not namespaced, and two tests
# running at once would otherwise share /app.slice/<unit>, so stopping a unit in one
# manager would kill the other's processes of the same name.
um_cgroup="ggl-test-$$-$(date +%s%N)"
um_cgroup_dirs=""
for um_hierarchy in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
    if [ -f "$um_hierarchy/cgroup.procs" ] && mkdir "$um_hierarchy/$um_cgroup" 2>/dev/null; then
        um_cgroup_dirs="$um_cgroup_dirs $um_hierarchy/$um_cgroup"
    fi
done
# shellcheck disable=SC2016
sh -c 'for dir in $1; do echo $$ > "$dir/cgroup.procs" || exit 1; done; exec /lib/systemd/systemd --user --log-target=console' \
    um-manager "$um_cgroup_dirs" > "$UM_TOP/manager.log" 2>&1 &
um_manager=$!
wait_for '[ -S "$XDG_RUNTIME_DIR/systemd/private" ] && { ctl is-system-running > /dev/null 2>&1 || [ "$(ctl is-system-running 2>/dev/null)" = degraded ]; }' 30 \
    || { um_logs; echo "the user manager did not start" >&2; exit 1; }
