#!/bin/sh
# Runs a test command under a real systemd user manager (user_manager.sh): the command
# finds it through XDG_RUNTIME_DIR, and writes units to GGL_UNIT_DIR.
# Usage: with_user_manager.sh COMMAND [ARGS...]
set -u
. "$(dirname "$(realpath "$0")")/user_manager.sh"
"$@"
status=$?
[ "$status" -eq 0 ] || um_logs
exit "$status"
