#!/bin/sh
# gghealthd and `ggl component` under a real systemd user manager (docs/testing.md): units
# from `ggl recipe translate`, gghealthd started by the manager as a Type=notify service,
# states read through `ggl component` and `ggl bus`, state changes followed through
# subscriptions: RUNNING, FINISHED, ERRORED then BROKEN, startup, a failed install,
# UpdateState, restart, stop, logs, unknown components, and gghealthd gone.
# Usage: health_test.sh BIN_DIR (holding ggl, ggl-recipe, gghealthd, ggconfigd, recipe-runner)
set -u
bin=$(realpath "$1")

. "$(dirname "$(realpath "$0")")/user_manager.sh"

ggl="$bin/ggl"
python=/usr/bin/python3
failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }
printf 'system:\n  thingName: test-thing\n' > "$GGL_CONFIG_DIR/config.yaml"

# ggconfigd answers gghealthd's version reads.
"$bin/ggconfigd" > "$UM_TOP/ggconfigd.log" 2>&1 &
configd=$!
um_on_exit "kill $configd 2>/dev/null; wait $configd 2>/dev/null"
wait_for '[ -S "$GGL_RUNTIME_DIR/gg_config" ]' || fail "ggconfigd did not start"

# gghealthd as the manager's own notify service, the way a device runs it: starting it
# returns once it is ready. Sanitizer settings of the build pass through.
sanitizer_env=""
for variable in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
    eval "value=\${$variable:-}"
    [ -n "$value" ] && sanitizer_env="$sanitizer_env -E $variable=$value"
done
# shellcheck disable=SC2086
systemd-run --user --quiet --unit=gghealthd -p Type=notify -p StandardError="file:$UM_TOP/gghealthd.log" \
    -E GGL_RUNTIME_DIR="$GGL_RUNTIME_DIR" -E XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" -E GGL_SYSTEMD_SCOPE=user \
    -E GGL_LOG_LEVEL=debug $sanitizer_env "$bin/gghealthd" || { fail "gghealthd did not start"; cat "$UM_TOP/gghealthd.log" >&2; }
[ -S "$GGL_RUNTIME_DIR/gg_health" ] || fail "gghealthd was ready without its socket"

# Every state change, from before the first component exists.
"$ggl" bus subscribe gg_health subscribe_to_all_component_state_changes > "$UM_TOP/events.jsonl" 2> "$UM_TOP/events.err" &
subscriber=$!
um_on_exit "kill $subscriber 2>/dev/null"

# Puts a recipe in the store and its units where the manager reads them.
install_recipe() {  # NAME YAML
    printf '%s\n' "$2" > "$GGL_ROOT/packages/recipes/$1-1.0.0.yaml"
    "$bin/ggl-recipe" translate "$GGL_ROOT/packages/recipes/$1-1.0.0.yaml" -o "$GGL_UNIT_DIR" || fail "$1: translate"
}
recipe() {  # NAME LIFECYCLE_LINES
    printf 'RecipeFormatVersion: 2020-01-25\nComponentName: %s\nComponentVersion: 1.0.0\nManifests:\n  - Lifecycle:\n%s\n' "$1" "$2"
}
field_of() {  # JSON FIELD
    printf '%s' "$1" | $python -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$2"
}
status_json() { "$ggl" component status "$1" --json=short 2>/dev/null; }
state_of() { field_of "$(status_json "$1")" lifecycle_state; }
work() { echo "$GGL_ROOT/work/$1"; }

install_recipe com.example.Hello "$(recipe com.example.Hello '      run: echo hello from Hello; exec sleep 300')"
install_recipe com.example.Done "$(recipe com.example.Done '      run: echo done here')"
install_recipe com.example.Failing "$(recipe com.example.Failing '      run: echo failing; echo x >> attempts.txt; exit 1')"
install_recipe com.example.Startup "$(recipe com.example.Startup '      startup: sleep 0.3; (exec sleep 300) &')"
install_recipe com.example.BadInstall "$(recipe com.example.BadInstall '      install: echo cannot install; exit 2
      run: exec sleep 300')"
install_recipe com.example.Slow "$(recipe com.example.Slow '      startup: exec sleep 60')"
install_recipe com.example.Erring "$(recipe com.example.Erring '      startup: exec sleep 60')"
ctl daemon-reload
"$ggl" config set services/com.example.Hello/version 1.0.0 || fail "config set version"

# Components that were never started are NEW; an unknown one is not found.
[ "$(state_of com.example.Hello)" = NEW ] || fail "Hello before start: $(state_of com.example.Hello)"
"$ggl" component status com.example.Nope > /dev/null 2> "$UM_TOP/err.txt"
status=$?
[ "$status" -eq 1 ] || fail "unknown component: exit $status, expected 1"
grep -q "com.example.Nope" "$UM_TOP/err.txt" || fail "unknown component: message does not name it: $(cat "$UM_TOP/err.txt")"
for verb in restart stop; do
    "$ggl" component "$verb" com.example.Nope 2> /dev/null
    status=$?
    [ "$status" -eq 1 ] || fail "$verb unknown component: exit $status, expected 1"
done
"$ggl" component status > /dev/null 2>&1
[ $? -eq 2 ] || fail "status without NAME is not a usage error"
"$ggl" bus call gg_health get_status '{"component_name":"com.example.Nope"}' > /dev/null 2> "$UM_TOP/err.txt"
[ $? -eq 4 ] && grep -q NOENTRY "$UM_TOP/err.txt" || fail "gg_health.get_status unknown: $(cat "$UM_TOP/err.txt")"
"$ggl" bus call gg_health get_status '{}' > /dev/null 2> "$UM_TOP/err.txt"
grep -q INVALID "$UM_TOP/err.txt" || fail "get_status without component_name: $(cat "$UM_TOP/err.txt")"
"$ggl" bus describe gg_health > "$UM_TOP/describe.txt" 2>&1 || fail "describe gg_health"
for method in get_status list_components restart_component stop_component update_status \
        subscribe_to_lifecycle_completion subscribe_to_all_component_state_changes; do
    grep -q "$method" "$UM_TOP/describe.txt" || fail "describe lacks $method"
done

# RUNNING, with the version from the configuration.
ctl start ggl.com.example.Hello.service || fail "Hello: start"
wait_for '[ "$(state_of com.example.Hello)" = RUNNING ]' || fail "Hello: $(state_of com.example.Hello), expected RUNNING"
hello=$(status_json com.example.Hello)
[ "$(field_of "$hello" version)" = 1.0.0 ] || fail "Hello: version $(field_of "$hello" version)"
[ "$(field_of "$hello" phase)" = run ] || fail "Hello: phase $(field_of "$hello" phase)"
since=$(field_of "$hello" since)
now_ms=$(( $(date +%s) * 1000 ))
[ "$since" -gt $((now_ms - 60000)) ] && [ "$since" -le $((now_ms + 1000)) ] || fail "Hello: since $since is not about now ($now_ms)"
"$ggl" component status com.example.Hello > "$UM_TOP/status.txt" || fail "Hello: status"
grep -q '^state: *RUNNING' "$UM_TOP/status.txt" && grep -q '^version: *1.0.0' "$UM_TOP/status.txt" \
    || fail "Hello: status for people: $(cat "$UM_TOP/status.txt")"

# FINISHED: the completion subscription hears it once the run script exits 0.
"$ggl" bus subscribe gg_health subscribe_to_lifecycle_completion '{"component_name":"com.example.Done"}' \
    > "$UM_TOP/done.jsonl" 2>&1 &
done_subscriber=$!
sleep 0.3  # the subscriber connects on its own; give it a moment before the event it waits for
ctl start ggl.com.example.Done.service || fail "Done: start"
wait_for "grep -q FINISHED '$UM_TOP/done.jsonl'" 20 || fail "Done: no FINISHED completion event: $(cat "$UM_TOP/done.jsonl")"
kill "$done_subscriber" 2>/dev/null
wait "$done_subscriber" 2>/dev/null
done_event=$(tail -n 1 "$UM_TOP/done.jsonl")
[ "$(field_of "$done_event" lifecycle_state)" = FINISHED ] || fail "Done: last completion event $done_event"
[ "$(field_of "$done_event" exit_status)" = 0 ] || fail "Done: exit_status in $done_event"
[ "$(field_of "$done_event" component_name)" = com.example.Done ] || fail "Done: component_name in $done_event"
grep -v -q '"com.example.Done"' "$UM_TOP/done.jsonl" && fail "Done: events of other components: $(cat "$UM_TOP/done.jsonl")"
[ "$(state_of com.example.Done)" = FINISHED ] || fail "Done: $(state_of com.example.Done), expected FINISHED"

# A run script exiting 1: ERRORED while the manager restarts it, then BROKEN (3 starts).
ctl start ggl.com.example.Failing.service 2> /dev/null
wait_for '[ "$(state_of com.example.Failing)" = BROKEN ]' 30 || fail "Failing: $(state_of com.example.Failing), expected BROKEN"
failing=$(status_json com.example.Failing)
[ "$(field_of "$failing" exit_status)" = 1 ] || fail "Failing: exit_status in $failing"
"$ggl" component status com.example.Failing | grep -q '^last exit: *exited with status 1' || fail "Failing: last exit not shown"

# startup: RUNNING once the script exits 0, its background process left running.
ctl start ggl.com.example.Startup.service || fail "Startup: start"
startup=$(status_json com.example.Startup)
[ "$(field_of "$startup" lifecycle_state)" = RUNNING ] || fail "Startup: $startup"
[ "$(field_of "$startup" phase)" = startup ] || fail "Startup: phase in $startup"

# A failed install: BROKEN in phase install, with its exit status; run never started.
ctl start ggl.com.example.BadInstall.service 2> /dev/null
wait_for '[ "$(state_of com.example.BadInstall)" = BROKEN ]' || fail "BadInstall: $(state_of com.example.BadInstall)"
bad=$(status_json com.example.BadInstall)
[ "$(field_of "$bad" phase)" = install ] || fail "BadInstall: phase in $bad"
[ "$(field_of "$bad" exit_status)" = 2 ] || fail "BadInstall: exit_status in $bad"

# UpdateState: RUNNING makes a starting component RUNNING...
ctl start --no-block ggl.com.example.Slow.service
wait_for '[ "$(state_of com.example.Slow)" = STARTING ]' || fail "Slow: $(state_of com.example.Slow), expected STARTING"
"$ggl" bus call gg_health update_status '{"component_name":"com.example.Slow","lifecycle_state":"RUNNING"}' > /dev/null \
    || fail "Slow: update_status RUNNING"
[ "$(state_of com.example.Slow)" = RUNNING ] || fail "Slow: $(state_of com.example.Slow) after UpdateState RUNNING"
"$ggl" bus call gg_health update_status '{"component_name":"com.example.Slow","lifecycle_state":"FINISHED"}' \
    > /dev/null 2> "$UM_TOP/err.txt"
grep -q INVALID "$UM_TOP/err.txt" || fail "update_status FINISHED is not INVALID: $(cat "$UM_TOP/err.txt")"
# ... ERRORED is published and cuts the start short, so the manager records the failure.
ctl start --no-block ggl.com.example.Erring.service
wait_for '[ "$(state_of com.example.Erring)" = STARTING ]' || fail "Erring: $(state_of com.example.Erring), expected STARTING"
"$ggl" bus call gg_health update_status '{"component_name":"com.example.Erring","lifecycle_state":"ERRORED"}' > /dev/null \
    || fail "Erring: update_status ERRORED"
wait_for '[ "$(state_of com.example.Erring)" = BROKEN ]' || fail "Erring: $(state_of com.example.Erring), expected BROKEN"
ctl is-failed -q ggl.com.example.Erring.service || fail "Erring: the manager did not record a failure"

# list: every component, with version and state; --json for scripts.
"$ggl" component list > "$UM_TOP/list.txt" || fail "list"
for name in Hello Done Failing Startup BadInstall Slow Erring; do
    grep -q "^com.example.$name " "$UM_TOP/list.txt" || fail "list lacks $name: $(cat "$UM_TOP/list.txt")"
done
grep -q '^com.example.Hello  *1.0.0  *RUNNING' "$UM_TOP/list.txt" || fail "list: Hello row: $(cat "$UM_TOP/list.txt")"
"$ggl" component list --json=short > "$UM_TOP/list.json" || fail "list --json"
$python - "$UM_TOP/list.json" <<'EOF' || fail "list --json: $(cat "$UM_TOP/list.json")"
import json, sys
rows = {row["name"]: row for row in json.load(open(sys.argv[1]))}
assert set(rows["com.example.Hello"]) == {"name", "version", "state", "since"}, rows
assert rows["com.example.Hello"]["version"] == "1.0.0" and rows["com.example.Hello"]["state"] == "RUNNING"
assert rows["com.example.Failing"]["state"] == "BROKEN" and isinstance(rows["com.example.Failing"]["since"], int)
EOF

# logs: the script's output from the journal; -f follows until Ctrl-C and exits 0.
wait_for '"$ggl" component logs com.example.Hello -n 1 | grep -q "hello from Hello"' 10 \
    || fail "logs -n 1: $("$ggl" component logs com.example.Hello -n 5 2>&1)"
[ "$("$ggl" component logs com.example.Hello -n 1 | wc -l)" -eq 1 ] || fail "logs -n 1 printed more than one line"
# -n 1: the last line at once, which says the follower is at the end of the journal
# before anything new is logged (with -n 0 a line logged while it starts would be missed).
"$ggl" component logs com.example.Hello -f -n 1 > "$UM_TOP/follow.txt" 2>&1 &
follower=$!
wait_for "grep -q 'hello from Hello' '$UM_TOP/follow.txt'" 10 || fail "logs -f -n 1 did not show the last line"

# restart: a running component starts again (and logs again); a BROKEN one is cleared first.
"$ggl" component restart com.example.Hello || fail "restart Hello"
wait_for '[ "$(state_of com.example.Hello)" = RUNNING ]' || fail "Hello after restart: $(state_of com.example.Hello)"
wait_for "[ \$(grep -c 'hello from Hello' '$UM_TOP/follow.txt') -ge 2 ]" 10 || fail "logs -f did not show the new line"
kill -INT "$follower"
wait "$follower"
status=$?
[ "$status" -eq 0 ] || fail "logs -f after Ctrl-C: exit $status"
# (Its start job may itself fail: the script can exit before the manager saw it start.)
"$ggl" component restart com.example.Failing 2> "$UM_TOP/err.txt"
status=$?
[ "$status" -eq 0 ] || { [ "$status" -eq 1 ] && grep -q "job result 'failed'" "$UM_TOP/err.txt"; } \
    || fail "restart BROKEN Failing: exit $status: $(cat "$UM_TOP/err.txt")"
wait_for '[ "$(wc -l < "$(work com.example.Failing)/attempts.txt")" -ge 6 ]' 30 \
    || fail "Failing did not run again after restart: $(wc -l < "$(work com.example.Failing)/attempts.txt") attempts"
wait_for '[ "$(state_of com.example.Failing)" = BROKEN ]' 30 || fail "Failing after restart: $(state_of com.example.Failing)"
"$ggl" component restart com.example.BadInstall 2> "$UM_TOP/err.txt"
status=$?
[ "$status" -eq 1 ] && grep -q "dependency\|failed" "$UM_TOP/err.txt" || fail "restart BadInstall: exit $status: $(cat "$UM_TOP/err.txt")"

# stop: the component is FINISHED (stopped cleanly).
"$ggl" component stop com.example.Hello || fail "stop Hello"
[ "$(state_of com.example.Hello)" = FINISHED ] || fail "Hello after stop: $(state_of com.example.Hello)"
[ "$(ctl is-active ggl.com.example.Hello.service)" = inactive ] || fail "Hello still active after stop"

# The event stream: one event per change, each previous_state the last state, in order.
sleep 0.5
kill "$subscriber" 2>/dev/null
wait "$subscriber" 2>/dev/null
$python - "$UM_TOP/events.jsonl" <<'EOF' || { fail "state-change events"; cat "$UM_TOP/events.jsonl" >&2; }
import json, sys
events = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by_name = {}
for e in events:
    by_name.setdefault(e["component_name"], []).append(e)
problems = []
for name, seq in by_name.items():
    last = None
    for e in seq:
        if e["lifecycle_state"] == e["previous_state"]:
            problems.append(f"{name}: an event without a change: {e}")
        if last is not None and e["previous_state"] != last:
            problems.append(f"{name}: previous_state {e['previous_state']} after {last}")
        last = e["lifecycle_state"]
def states(name):
    return [e["lifecycle_state"] for e in by_name.get(name, [])]
f = states("com.example.Failing")
if "ERRORED" not in f or "BROKEN" not in f or f.index("ERRORED") > f.index("BROKEN"):
    problems.append(f"Failing: {f}")
broken = [e for e in by_name.get("com.example.Failing", []) if e["lifecycle_state"] == "BROKEN"]
if not broken or broken[0].get("exit_status") != 1:
    problems.append(f"Failing: BROKEN event without exit_status 1: {broken[:1]}")
if "RUNNING" not in states("com.example.Hello") or states("com.example.Hello")[-1] != "FINISHED":
    problems.append(f"Hello: {states('com.example.Hello')}")
if states("com.example.Done")[-1:] != ["FINISHED"]:
    problems.append(f"Done: {states('com.example.Done')}")
bad = by_name.get("com.example.BadInstall", [])
if not bad or bad[-1]["lifecycle_state"] != "BROKEN" or bad[-1]["phase"] != "install":
    problems.append(f"BadInstall: {bad[-1:]}")
if "ERRORED" not in states("com.example.Erring") or states("com.example.Erring")[-1] != "BROKEN":
    problems.append(f"Erring: {states('com.example.Erring')}")
if states("com.example.Startup")[-1:] != ["RUNNING"]:
    problems.append(f"Startup: {states('com.example.Startup')}")
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

# A restarted gghealthd reads every state again from the manager.
ctl restart gghealthd.service || fail "restart gghealthd"
[ "$(state_of com.example.Failing)" = BROKEN ] || fail "after a gghealthd restart: Failing $(state_of com.example.Failing)"
[ "$(state_of com.example.Startup)" = RUNNING ] || fail "after a gghealthd restart: Startup $(state_of com.example.Startup)"
bad=$(status_json com.example.BadInstall)
[ "$(field_of "$bad" phase)" = install ] || fail "after a gghealthd restart: BadInstall $bad"

# gghealthd gone: exit 3, naming the socket.
ctl stop gghealthd.service
"$ggl" component list > /dev/null 2> "$UM_TOP/err.txt"
status=$?
[ "$status" -eq 3 ] || fail "list without gghealthd: exit $status, expected 3"
grep -q "$GGL_RUNTIME_DIR/gg_health" "$UM_TOP/err.txt" || fail "list without gghealthd: $(cat "$UM_TOP/err.txt")"
# It ended cleanly on SIGTERM (and, in a sanitizer build, without a report).
[ "$(ctl show -P Result gghealthd.service 2>/dev/null || echo success)" != exit-code ] || fail "gghealthd exited with an error"
if grep -q 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$UM_TOP/gghealthd.log"; then
    fail "sanitizer report in gghealthd's log"
fi

if [ "$failures" -ne 0 ]; then
    echo "---- gghealthd log" >&2
    cat "$UM_TOP/gghealthd.log" >&2
    echo "---- the manager on gghealthd" >&2
    grep gghealthd "$UM_TOP/manager.log" >&2
fi
echo "$failures failures"
[ "$failures" -eq 0 ]
