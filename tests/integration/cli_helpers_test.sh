#!/bin/bash
# The ggl command and its helper programs (docs/cli.md): ggl links neither sqlite, nor
# libsystemd, nor libcrypto, each helper links what its verb uses; a helper answers the
# same words exactly as ggl does (one command-line definition); `ggl config --db`, its
# completion and ggl-config go through ggl-config-db in the same process; a missing
# helper is a one-line error naming its path and the verb, exit status 1, while --help
# and completion still work.
# Usage: cli_helpers_test.sh BIN_DIR   (the build's bin/, with ../libexec/ggl/ beside it)
set -u
bin=$(cd "$1" && pwd)
helpers=$(cd "$bin/../libexec/ggl" 2>/dev/null && pwd) || { echo "FAIL no $1/../libexec/ggl" >&2; exit 1; }
failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }

work=$(mktemp -d "${TMPDIR:-/tmp}/ggl-helpers.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
# No daemon answers here.
export GGL_RUNTIME_DIR=$work/run GGL_ROOT=$work/root GGL_CONFIG_DB=$work/root/config.db
mkdir -p "$GGL_RUNTIME_DIR" "$GGL_ROOT"

# --- What each program links (readelf -d: NEEDED) and maps (ldd: the whole closure).
needed() { readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }
lacks() {  # PROGRAM LIBRARY...: neither NEEDED nor mapped
    local program=$1 list closure library
    shift
    list=$(needed "$program")
    closure=$(ldd "$program" 2>&1)
    for library in "$@"; do
        grep -q "^$library" <<< "$list" && fail "$(basename "$program") needs $library"
        grep -q "	$library" <<< "$closure" && fail "$(basename "$program") maps $library"
    done
}
needs() {  # PROGRAM LIBRARY...
    local program=$1 list library
    shift
    list=$(needed "$program")
    for library in "$@"; do
        grep -q "^$library" <<< "$list" || fail "$(basename "$program") does not need $library: $(echo $list)"
    done
}
lacks "$bin/ggl" libsqlite3 libsystemd libcrypto libggl-config-store libggl-systemd libggl-store
needs "$helpers/ggl-check" libcrypto libggl-config-store libggl-systemd
needs "$helpers/ggl-component-logs" libggl-systemd
lacks "$helpers/ggl-component-logs" libsqlite3 libcrypto libggl-config-store
needs "$helpers/ggl-config-db" libggl-config-store
lacks "$helpers/ggl-config-db" libsystemd libcrypto libggl-systemd
for program in "$bin/ggl" "$helpers"/*; do
    ldd "$program" 2>&1 | grep -q 'not found' && fail "$(basename "$program") has unresolved libraries"
done

# --- One definition: `ggl VERB WORDS` and `HELPER WORDS` print the same and exit the same.
# same "VERB WORDS" HELPER WORDS
same() {
    local through_ggl=$1 helper=$2 a b
    shift 2
    # shellcheck disable=SC2086
    a=$("$bin/ggl" $through_ggl 2>&1; echo "exit $?")
    b=$("$helpers/$helper" "$@" 2>&1; echo "exit $?")
    [[ $a == "$b" ]] || fail "'ggl $through_ggl' and '$helper $*' differ: $(diff <(echo "$a") <(echo "$b") | head -n 6)"
    [[ $a == *"exit 127" || -z $a ]] && fail "'ggl $through_ggl' did not run"
}
same "check --help" ggl-check --help
same "check --timeout 0" ggl-check --timeout 0
same "check --user --system" ggl-check --user --system
same "check --bogus" ggl-check --bogus
same "component --help" ggl-component-logs --help
same "component logs --help" ggl-component-logs logs --help
same "component logs" ggl-component-logs logs
same "component logs x -n many" ggl-component-logs logs x -n many
same "config --help" ggl-config-db --help
same "config --db $work/x.db get --help" ggl-config-db --db "$work/x.db" get --help
same "config --db $work/x.db get a//b" ggl-config-db --db "$work/x.db" get a//b
same "config --db $work/x.db watch a" ggl-config-db --db "$work/x.db" watch a
same "config --db $work/x.db set a" ggl-config-db --db "$work/x.db" set a
same "__complete check --" ggl-check __complete --
same "__complete component logs --" ggl-component-logs __complete logs --
same "__complete config --db $work/x.db get --" ggl-config-db __complete --db "$work/x.db" get --
# The usage errors ggl itself reports name the verb as the helper does.
out=$("$bin/ggl" check --user --system 2>&1)
[[ $out == "ggl check: error: --user and --system exclude each other (see 'ggl check --help')" ]] || fail "ggl check --user --system: $out"

# --- --db through ggl-config-db, in ggl's own process (exec, not a child).
db=$work/root/image.db
"$bin/ggl" config --db "$db" set system/thingName dev-1 || fail "ggl config --db set: exit $?"
[[ $("$bin/ggl" config --db "$db" get system/thingName) == dev-1 ]] || fail "ggl config --db get"
[[ $("$bin/ggl-config" --db "$db" get System/ThingName 2>&1) == dev-1 ]] || fail "ggl-config --db get"
"$bin/ggl" config --db "$db" get absent 2>/dev/null
[[ $? == 1 ]] || fail "ggl config --db get absent: not exit 1"
# Completion with --db reads the file through the helper.
[[ $("$bin/ggl" __complete config --db "$db" get sys) == system/ ]] || fail "completion of --db paths"
[[ $("$bin/ggl" __complete config --db "$db" get system/t | cut -f1) == system/thingName ]] || fail "completion of --db paths below system/"
if command -v strace > /dev/null; then
    # LeakSanitizer (in the sanitizer build) cannot run under ptrace, and its exit-time
    # check would clone a tracer: off for this one traced run.
    calls=$(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -f -qq -e trace=execve,fork,vfork,clone,clone3 "$bin/ggl" config --db "$db" get system/thingName 2>&1 >/dev/null)
    [[ $(grep -c '^execve(' <<< "$calls") == 2 && $(grep -c 'libexec/ggl/ggl-config-db", \["ggl config", "--db"' <<< "$calls") == 1 ]] \
        || fail "ggl config --db does not exec ggl-config-db once: $calls"
    grep -qE '^(\[pid +[0-9]+\] )?(fork|vfork|clone3?)\(' <<< "$calls" && fail "ggl config --db starts another process: $calls"
else
    echo "strace not installed: the exec (one process) is not checked"
fi

# --- A missing helper: ggl alone in a bin/ of its own (the build's RUNPATH is absolute).
lone=$work/lone/bin
mkdir -p "$lone" && cp "$bin/ggl" "$lone/ggl" && ln -s ggl "$lone/ggl-config"
missing() {  # EXPECTED-VERB HELPER WORDS...: exit 1, one line naming the helper's path and the verb
    local verb=$1 helper=$2 out status
    shift 2
    out=$("$lone/$@" 2>&1)
    status=$?
    [[ $status == 1 ]] || fail "$* without its helper: exit $status, not 1: $out"
    [[ $out == "$verb: error: FAILURE: cannot run the helper program $work/lone/libexec/ggl/$helper that '$verb' needs: No such file or directory (is ggl installed completely?)" ]] \
        || fail "$* without its helper: $out"
}
missing "ggl check" ggl-check ggl check
missing "ggl component" ggl-component-logs ggl component logs x
missing "ggl config" ggl-config-db ggl config --db "$db" get system/thingName
missing "ggl config" ggl-config-db ggl-config --db "$db" get system/thingName
# What ggl does itself still works: --help, usage errors, completion (quiet), other verbs.
[[ $("$lone/ggl" check --help) == "$("$bin/ggl" check --help)" ]] || fail "ggl check --help without the helper"
"$lone/ggl" check --user --system 2>/dev/null
[[ $? == 2 ]] || fail "ggl check --user --system without the helper: not exit 2"
out=$("$lone/ggl" __complete config --db "$db" get sys 2>&1)
[[ $? == 0 && $out != *error* ]] || fail "completion with --db without the helper: $out"
"$lone/ggl" config get system/thingName --timeout 0.2 2>/dev/null
[[ $? == 3 ]] || fail "ggl config get without ggconfigd and without the helper: not exit 3"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "ok"
