#!/bin/sh
# Units from `ggl recipe translate`, started by a real systemd user manager (docs/testing.md):
# run (environment, working directory, the script byte for byte), startup with
# readiness, install before run, shutdown on stop, Skipif, and a failing run.
# Usage: recipe_systemd_test.sh GGL_RECIPE (recipe-runner is beside it)
set -u
ggl_recipe=$(realpath -s "$1")  # -s: ggl-recipe is a link to ggl, which runs by its name

# A real user manager in a private mount namespace, and the GGL_* sandbox it exports.
. "$(dirname "$(realpath "$0")")/user_manager.sh"
top=$UM_TOP
units="$GGL_UNIT_DIR"
printf 'system:\n  thingName: test-thing\n  rootCaPath: /etc/test-ca.pem\nservices:\n  aws.greengrass.NucleusLite:\n    configuration:\n      awsRegion: eu-west-1\n' \
    > "$GGL_CONFIG_DIR/config.yaml"

failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }

# Puts a recipe in the store and its units where the manager reads them.
install_recipe() {  # NAME YAML
    printf '%s\n' "$2" > "$GGL_ROOT/packages/recipes/$1-1.0.0.yaml"
    "$ggl_recipe" translate "$GGL_ROOT/packages/recipes/$1-1.0.0.yaml" -o "$units" || fail "$1: translate"
    ctl daemon-reload
}
work() { echo "$GGL_ROOT/work/$1"; }

# run: environment, working directory, and the script reaching /bin/sh unchanged.
install_recipe com.example.Run 'RecipeFormatVersion: 2020-01-25
ComponentName: com.example.Run
ComponentVersion: 1.0.0
ComponentConfiguration: {DefaultConfiguration: {greeting: "hi there"}}
Manifests:
  - Lifecycle:
      Setenv: {GREETING: "{configuration:/greeting}"}
      run: |
        tr "\0" "\n" < /proc/$$/cmdline > cmdline.txt; env > env.txt; pwd > pwd.txt
        echo "${HOME}" {"a":1} $(date) > /dev/null'
ctl start ggl.com.example.Run.service || fail "run: start"
wait_for "[ -s '$(work com.example.Run)/pwd.txt' ]" || fail "run: the script did not run"
[ "$(cat "$(work com.example.Run)/pwd.txt")" = "$(work com.example.Run)" ] || fail "run: working directory"
env_file="$(work com.example.Run)/env.txt"
for expected in GREETING="hi there" AWS_IOT_THING_NAME=test-thing AWS_REGION=eu-west-1 GGC_VERSION=2.14.0 \
        GG_ROOT_CA_PATH=/etc/test-ca.pem \
        "AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT=$GGL_RUNTIME_DIR/gg-ipc.socket"; do
    grep -qxF "$expected" "$env_file" || fail "run: environment lacks $expected"
done
expected_script=$(printf '%s\n%s' 'tr "\0" "\n" < /proc/$$/cmdline > cmdline.txt; env > env.txt; pwd > pwd.txt' \
    'echo "${HOME}" {"a":1} $(date) > /dev/null')
got_script=$(sed -n '3,$p' "$(work com.example.Run)/cmdline.txt")
[ "$got_script" = "$expected_script" ] || fail "run: script changed on its way to /bin/sh: $got_script"
[ "$(sed -n 1,2p "$(work com.example.Run)/cmdline.txt" | tr '\n' ' ')" = "sh -c " ] || fail "run: not sh -c"

# startup: the unit is active once the script has exited 0; its background process stays.
install_recipe com.example.Startup 'RecipeFormatVersion: 2020-01-25
ComponentName: com.example.Startup
ComponentVersion: 1.0.0
Manifests:
  - Lifecycle:
      startup: sleep 0.5; (exec sleep 300) & echo $! > daemon.pid; touch ready
      shutdown: kill "$(cat daemon.pid)"; touch stopped'
ctl start ggl.com.example.Startup.service || fail "startup: start"
[ -f "$(work com.example.Startup)/ready" ] || fail "startup: start returned before the script finished"
[ "$(ctl is-active ggl.com.example.Startup.service)" = active ] || fail "startup: not active"
pid=$(cat "$(work com.example.Startup)/daemon.pid" 2>/dev/null)
kill -0 "$pid" 2>/dev/null || fail "startup: the background process is gone"

# shutdown: stopping runs the shutdown script.
ctl stop ggl.com.example.Startup.service || fail "shutdown: stop"
[ -f "$(work com.example.Startup)/stopped" ] || fail "shutdown: the shutdown script did not run"
wait_for "! kill -0 $pid 2>/dev/null" 10 || fail "shutdown: the background process survived"

# install runs to completion before run starts.
install_recipe com.example.Ordered 'RecipeFormatVersion: 2020-01-25
ComponentName: com.example.Ordered
ComponentVersion: 1.0.0
Manifests:
  - Lifecycle:
      install: sleep 0.5; echo install >> order.txt
      run: echo run >> order.txt'
ctl start ggl.com.example.Ordered.service || fail "ordering: start"
wait_for "[ \$(wc -l < '$(work com.example.Ordered)/order.txt' 2>/dev/null || echo 0) -ge 2 ]" \
    || fail "ordering: run did not follow install"
[ "$(cat "$(work com.example.Ordered)/order.txt" | tr '\n' ' ')" = "install run " ] || fail "ordering: $(cat "$(work com.example.Ordered)/order.txt")"

# A HARD dependency starts first and takes its dependent down when it stops.
shared="$top/shared-order.txt"
install_recipe com.example.Base "RecipeFormatVersion: 2020-01-25
ComponentName: com.example.Base
ComponentVersion: 1.0.0
Manifests:
  - Lifecycle:
      startup: sleep 0.5; echo base >> $shared"
install_recipe com.example.Top "RecipeFormatVersion: 2020-01-25
ComponentName: com.example.Top
ComponentVersion: 1.0.0
ComponentDependencies:
  com.example.Base: {VersionRequirement: ^1.0.0, DependencyType: HARD}
Manifests:
  - Lifecycle:
      run: echo top >> $shared; exec sleep 300"
ctl start ggl.com.example.Top.service || fail "hard dependency: start"
wait_for "[ \$(wc -l < '$shared') -ge 2 ]" || fail "hard dependency: not both ran"
[ "$(tr '\n' ' ' < "$shared")" = "base top " ] || fail "hard dependency: order $(cat "$shared")"
ctl stop ggl.com.example.Base.service
[ "$(ctl is-active ggl.com.example.Top.service)" = inactive ] || fail "hard dependency: dependent still running"

# Skipif: the condition holds, so the phase is skipped, not failed.
touch "$top/skip-me"
install_recipe com.example.Skipped "RecipeFormatVersion: 2020-01-25
ComponentName: com.example.Skipped
ComponentVersion: 1.0.0
Manifests:
  - Lifecycle:
      run: {Skipif: exists $top/skip-me, Script: touch ran}"
ctl start ggl.com.example.Skipped.service || fail "skipif: start"
[ ! -e "$(work com.example.Skipped)/ran" ] || fail "skipif: the script ran"
[ "$(ctl show -P Result ggl.com.example.Skipped.service)" = success ] || fail "skipif: result $(ctl show -P Result ggl.com.example.Skipped.service)"
ctl is-failed -q ggl.com.example.Skipped.service && fail "skipif: unit failed"

# A failing run is restarted, then given up on (three starts an hour), with its exit status.
install_recipe com.example.Failing 'RecipeFormatVersion: 2020-01-25
ComponentName: com.example.Failing
ComponentVersion: 1.0.0
Manifests:
  - Lifecycle:
      run: echo attempt >> attempts.txt; exit 3'
ctl start ggl.com.example.Failing.service 2>/dev/null
wait_for "ctl is-failed -q ggl.com.example.Failing.service" 30 || fail "failing: never reached failed"
[ "$(ctl show -P ExecMainStatus ggl.com.example.Failing.service)" = 3 ] || fail "failing: exit status not 3"
attempts=$(wc -l < "$(work com.example.Failing)/attempts.txt")
[ "$attempts" -eq 3 ] || fail "failing: $attempts attempts, expected 3"

echo "$failures failures"
[ "$failures" -eq 0 ]
