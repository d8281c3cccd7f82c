#!/bin/sh
# Deployments end to end (issue 5): ggconfigd, gghealthd and ggdeploymentd run as
# Type=notify units of a real systemd user manager (docs/testing.md), `ggl deploy` and
# `ggl component` drive them, and the components' units are started by that manager.
# Usage: deploy_systemd_test.sh BIN_DIR
set -u
bin=$(realpath "$1")
. "$(dirname "$(realpath "$0")")/user_manager.sh"

failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }
ggl() { "$bin/ggl" "$@"; }
section() { echo "== $*"; }

. "$(dirname "$(realpath "$0")")/ggl_daemons.sh"

printf 'system:\n  thingName: deploy-test\nservices:\n  aws.greengrass.NucleusLite:\n    configuration:\n      awsRegion: eu-west-1\n' \
    > "$GGL_CONFIG_DIR/config.yaml"
start_ggl_daemons "$bin" --settle-ms=300 || exit 1

recipes="$UM_TOP/recipes"
artifacts="$UM_TOP/artifacts"
out="$UM_TOP/out"
mkdir -p "$recipes" "$artifacts" "$out"

# recipe NAME VERSION RUN [EXTRA YAML]: writes NAME-VERSION.yaml.
recipe() {
    cat > "$recipes/$1-$2.yaml" <<YAML
RecipeFormatVersion: '2020-01-25'
ComponentName: $1
ComponentVersion: '$2'
${4:-}
Manifests:
  - Platform: {os: linux}
    Lifecycle:
      run: |
        $3
YAML
}
state_of() { ggl component status "$1" --json=short 2>/dev/null | sed -n 's/.*"lifecycle_state":"\([A-Z]*\)".*/\1/p'; }
deploy() { ggl deploy local -r "$recipes" -a "$artifacts" --wait "$@"; }

section "hello world, with an artifact checked against its digest"
mkdir -p "$artifacts/com.example.Hello/1.0.0"
printf 'echo "${NOTIFY_SOCKET:-unset}" > "$2.notify"\necho "hello from $1" > "$2"\nexec sleep 600\n' \
    > "$artifacts/com.example.Hello/1.0.0/hello.sh"
digest=$(openssl dgst -sha256 -binary "$artifacts/com.example.Hello/1.0.0/hello.sh" | base64)
recipe com.example.Hello 1.0.0 "sh {artifacts:path}/hello.sh {configuration:/who} $out/hello.txt" \
"ComponentConfiguration:
  DefaultConfiguration: {who: world, keep: default-keep}"
cat >> "$recipes/com.example.Hello-1.0.0.yaml" <<YAML
    Artifacts:
      - Uri: s3://bucket/hello.sh
        Digest: $digest
        Algorithm: SHA-256
YAML
deploy -c com.example.Hello=1.0.0 > "$out/deploy1.txt" 2>&1 || { cat "$out/deploy1.txt" >&2; fail "hello: deploy exited $?"; }
grep -q 'succeeded' "$out/deploy1.txt" || fail "hello: no success line"
wait_for "[ -s '$out/hello.txt' ]" 10 || fail "hello: the run script did not run"
[ "$(cat "$out/hello.txt" 2>/dev/null)" = "hello from world" ] || fail "hello: interpolated configuration: $(cat "$out/hello.txt")"
[ "$(state_of com.example.Hello)" = RUNNING ] || fail "hello: state $(state_of com.example.Hello), expected RUNNING"
# Active (RUNNING) once recipe-runner says READY=1 as it execs the script, which must not
# inherit the notification socket.
[ "$(ctl show -p Type --value ggl.com.example.Hello.service)" = notify ] || fail "hello: the run unit is not Type=notify"
[ "$(cat "$out/hello.txt.notify" 2>/dev/null)" = unset ] || fail "hello: the script got NOTIFY_SOCKET=$(cat "$out/hello.txt.notify")"
ggl component list | grep -q 'com.example.Hello.*1.0.0.*RUNNING' || fail "hello: component list: $(ggl component list)"
[ -f "$GGL_ROOT/packages/recipes/com.example.Hello-1.0.0.yaml" ] || fail "hello: recipe not in the store"
[ -f "$GGL_ROOT/packages/artifacts/com.example.Hello/1.0.0/hello.sh" ] || fail "hello: artifact not in the store"
[ -s "$GGL_ROOT/ipc/svcuid/com.example.Hello" ] || fail "hello: no SVCUID issued"
# Enabled as `systemctl enable` would: ggl.target starts it at boot.
[ "$(readlink "$GGL_UNIT_DIR/ggl.target.wants/ggl.com.example.Hello.service")" = ../ggl.com.example.Hello.service ] \
    || fail "hello: not linked into ggl.target.wants"
# (enabled-runtime here: the sandbox's unit directory is under $XDG_RUNTIME_DIR.)
case $(ctl is-enabled ggl.com.example.Hello.service 2>&1) in
    enabled | enabled-runtime) ;;
    *) fail "hello: is-enabled says $(ctl is-enabled ggl.com.example.Hello.service 2>&1)" ;;
esac
[ "$(ggl config get services/com.example.Hello/version)" = 1.0.0 ] || fail "hello: version not in the configuration"
ggl deploy status > "$out/status.txt" || fail "hello: deploy status exited $?"
grep -q 'SUCCEEDED' "$out/status.txt" || fail "hello: deploy status: $(cat "$out/status.txt")"

section "the getting-started layout: no Artifacts, the version's directory copied whole"
# As the Greengrass CLI: -a DIR copies DIR/NAME/VERSION/ (subdirectories, modes) into
# the store, whether or not the recipe lists Artifacts; {artifacts:path} finds it all.
gs="$artifacts/com.example.GettingStarted/1.0.0"
mkdir -p "$gs/lib/deeper"
printf '#!/bin/sh\n. "$(dirname "$0")/lib/greeting.sh"\necho "$GREETING $1 $(cat "$(dirname "$0")/lib/deeper/name.txt")" > "$2"\nexec sleep 600\n' \
    > "$gs/hello_world.sh"
chmod 755 "$gs/hello_world.sh"
printf 'GREETING=Hello\n' > "$gs/lib/greeting.sh"
printf 'from the tree\n' > "$gs/lib/deeper/name.txt"
recipe com.example.GettingStarted 1.0.0 "{artifacts:path}/hello_world.sh world $out/getting-started.txt"
deploy -c com.example.GettingStarted=1.0.0 --dry-run > "$out/gs-dry.txt" 2>&1 || fail "getting started: dry run exited $?: $(cat "$out/gs-dry.txt")"
grep -q "artifacts copied from $gs (3 files)" "$out/gs-dry.txt" || fail "getting started: the plan does not name the directory: $(cat "$out/gs-dry.txt")"
[ ! -e "$GGL_ROOT/packages/artifacts/com.example.GettingStarted" ] || fail "getting started: the dry run copied artifacts"
deploy -c com.example.GettingStarted=1.0.0 > "$out/gs.txt" 2>&1 || { cat "$out/gs.txt" >&2; fail "getting started: deploy exited $?"; }
wait_for "[ -s '$out/getting-started.txt' ]" 10 || fail "getting started: the run script did not run"
[ "$(cat "$out/getting-started.txt" 2>/dev/null)" = "Hello world from the tree" ] \
    || fail "getting started: the script saw: $(cat "$out/getting-started.txt")"
stored="$GGL_ROOT/packages/artifacts/com.example.GettingStarted/1.0.0"
[ "$(stat -c %a "$stored/hello_world.sh")" = 555 ] || fail "getting started: hello_world.sh is $(stat -c %a "$stored/hello_world.sh"), expected 555"
[ "$(stat -c %a "$stored/lib/deeper/name.txt")" = 444 ] || fail "getting started: name.txt is $(stat -c %a "$stored/lib/deeper/name.txt")"
[ "$(stat -c %a "$stored/lib/deeper")" = 755 ] || fail "getting started: lib/deeper is $(stat -c %a "$stored/lib/deeper")"
# A symbolic link in the directory: refused before anything changes, naming it.
mkdir -p "$artifacts/com.example.GettingStarted/1.1.0"
cp -a "$gs/." "$artifacts/com.example.GettingStarted/1.1.0/"
ln -s /etc/passwd "$artifacts/com.example.GettingStarted/1.1.0/lib/passwd"
recipe com.example.GettingStarted 1.1.0 "{artifacts:path}/hello_world.sh again $out/getting-started.txt"
deploy -c com.example.GettingStarted=1.1.0 > "$out/gs-link.txt" 2>&1
[ $? -eq 1 ] || fail "getting started, link: exit status, expected 1"
grep -q 'FAILED_NO_STATE_CHANGE' "$out/gs-link.txt" || fail "getting started, link: state: $(cat "$out/gs-link.txt")"
grep -q "com.example.GettingStarted/1.1.0/lib/passwd is a symbolic link" "$out/gs-link.txt" \
    || fail "getting started, link: the link is not named: $(cat "$out/gs-link.txt")"
[ ! -e "$GGL_ROOT/packages/artifacts/com.example.GettingStarted/1.1.0" ] || fail "getting started, link: 1.1.0 was stored"
[ "$(state_of com.example.GettingStarted)" = RUNNING ] || fail "getting started, link: 1.0.0 is $(state_of com.example.GettingStarted)"

section "dry run changes nothing"
recipe com.example.Other 1.0.0 "exec sleep 600"
before=$(ls "$GGL_UNIT_DIR"; ggl config export --format json)
deploy -c com.example.Other=1.0.0 --dry-run > "$out/dry.txt" 2>&1 || fail "dry run exited $?: $(cat "$out/dry.txt")"
grep -q 'add *com.example.Other 1.0.0' "$out/dry.txt" || fail "dry run: plan lacks the added component: $(cat "$out/dry.txt")"
after=$(ls "$GGL_UNIT_DIR"; ggl config export --format json)
[ "$before" = "$after" ] || fail "dry run changed units or configuration"
[ ! -e "$GGL_UNIT_DIR/ggl.com.example.Other.service" ] || fail "dry run wrote a unit"

section "upgrade with MERGE and RESET: the component sees the new configuration"
ggl config set services/com.example.Hello/configuration/keep changed-by-operator
mkdir -p "$artifacts/com.example.Hello/1.1.0"
cp "$artifacts/com.example.Hello/1.0.0/hello.sh" "$artifacts/com.example.Hello/1.1.0/"
recipe com.example.Hello 1.1.0 "sh {artifacts:path}/hello.sh {configuration:/who}-{configuration:/keep} $out/hello.txt" \
"ComponentConfiguration:
  DefaultConfiguration: {who: world, keep: default-keep}"
printf '    Artifacts:\n      - Uri: s3://bucket/hello.sh\n' >> "$recipes/com.example.Hello-1.1.0.yaml"
rm -f "$out/hello.txt"
deploy -c com.example.Hello=1.1.0 --update-config '{"com.example.Hello":{"MERGE":{"who":"operator"},"RESET":["/keep"]}}' \
    > "$out/upgrade.txt" 2>&1 || { cat "$out/upgrade.txt" >&2; fail "upgrade: deploy exited $?"; }
wait_for "[ -s '$out/hello.txt' ]" 10 || fail "upgrade: the new version did not run"
[ "$(cat "$out/hello.txt" 2>/dev/null)" = "hello from operator-default-keep" ] || fail "upgrade: saw $(cat "$out/hello.txt")"
[ "$(ggl config get services/com.example.Hello/version)" = 1.1.0 ] || fail "upgrade: version"
[ ! -e "$GGL_ROOT/packages/recipes/com.example.Hello-1.0.0.yaml" ] || fail "upgrade: the old version stayed in the store"

section "a run script that exits 1: BROKEN, deployment fails, the old version runs again"
mkdir -p "$artifacts/com.example.Hello/2.0.0"
recipe com.example.Hello 2.0.0 "echo broken-run-output; exit 1"
rm -f "$out/hello.txt"
deploy -c com.example.Hello=2.0.0 --update-config '{"com.example.Hello":{"MERGE":{"who":"should-be-rolled-back"}}}' \
    > "$out/broken.txt" 2>&1
status=$?
[ "$status" -eq 1 ] || fail "broken: exit status $status, expected 1"
grep -q 'FAILED_ROLLBACK_COMPLETE' "$out/broken.txt" || fail "broken: no rollback state: $(cat "$out/broken.txt")"
grep -q 'com.example.Hello failed in phase run' "$out/broken.txt" || fail "broken: the failing phase is not named: $(cat "$out/broken.txt")"
grep -q 'broken-run-output' "$out/broken.txt" || fail "broken: the journal lines are missing"
wait_for "[ -s '$out/hello.txt' ]" 10 || fail "broken: the previous version did not run again"
[ "$(ggl config get services/com.example.Hello/version)" = 1.1.0 ] || fail "broken: version not restored"
[ "$(ggl config get services/com.example.Hello/configuration/who)" = operator ] || fail "broken: configuration not restored"
wait_for '[ "$(state_of com.example.Hello)" = RUNNING ]' 10 || fail "broken: state after rollback $(state_of com.example.Hello)"
[ ! -e "$GGL_ROOT/packages/recipes/com.example.Hello-2.0.0.yaml" ] || fail "broken: the failed version stayed in the store"
grep -q 'ExecStart=.*--version "1.1.0"' "$GGL_UNIT_DIR/ggl.com.example.Hello.service" || fail "broken: the unit was not restored"

section "an install script that fails"
cat > "$recipes/com.example.BadInstall-1.0.0.yaml" <<YAML
RecipeFormatVersion: '2020-01-25'
ComponentName: com.example.BadInstall
ComponentVersion: '1.0.0'
Manifests:
  - Lifecycle:
      install: echo install-says-no; exit 7
      run: exec sleep 600
YAML
deploy -c com.example.BadInstall=1.0.0 > "$out/install.txt" 2>&1
[ $? -eq 1 ] || fail "install: exit status, expected 1"
grep -q 'com.example.BadInstall failed in phase install' "$out/install.txt" || fail "install: phase not named: $(cat "$out/install.txt")"
grep -q 'exit status 7' "$out/install.txt" || fail "install: exit status not reported: $(cat "$out/install.txt")"
[ ! -e "$GGL_UNIT_DIR/ggl.com.example.BadInstall.service" ] || fail "install: units left behind"
[ ! -L "$GGL_UNIT_DIR/ggl.target.wants/ggl.com.example.BadInstall.service" ] || fail "install: still enabled after the rollback"
ggl config get services/com.example.BadInstall > /dev/null 2>&1 && fail "install: configuration left behind"

section "bootstrap exit codes: 100 goes on, 101 reboots and resumes, BootstrapOnRollback"
# ggdeploymentd reboots through a stand-in command and reads a boot id the test controls.
printf '#!/bin/sh\necho "reboot requested" >> %s/reboot-calls\n' "$out" > "$UM_TOP/fake-reboot"
chmod +x "$UM_TOP/fake-reboot"
echo boot-1 > "$UM_TOP/boot_id"
mkdir -p "$GGL_UNIT_DIR/ggdeploymentd.service.d"
printf '[Service]\nEnvironment="GGL_REBOOT_COMMAND=%s" "GGL_BOOT_ID_PATH=%s"\n' "$UM_TOP/fake-reboot" "$UM_TOP/boot_id" \
    > "$GGL_UNIT_DIR/ggdeploymentd.service.d/reboot.conf"
ctl daemon-reload && ctl restart ggdeploymentd.service || fail "bootstrap: ggdeploymentd did not restart"
# bootstrap_recipe NAME VERSION BOOTSTRAP_STEP_YAML RUN
bootstrap_recipe() {
    cat > "$recipes/$1-$2.yaml" <<YAML
RecipeFormatVersion: '2020-01-25'
ComponentName: $1
ComponentVersion: '$2'
Manifests:
  - Lifecycle:
      bootstrap: $3
      install: echo install >> $out/$1.log
      run: echo run >> $out/$1.log; $4
YAML
}
bootstrap_recipe com.example.Boot100 1.0.0 "echo bootstrap >> $out/com.example.Boot100.log; exit 100" "exec sleep 600"
id=$(ggl deploy local -r "$recipes" -c com.example.Boot100=1.0.0)
wait_for "ggl deploy status $id --json=short | grep -q '\"state\":\"SUCCEEDED\"'" 20 \
    || fail "exit 100: state: $(ggl deploy status "$id" --json=short)"
ggl deploy status "$id" --json=short | grep -q 'bootstrap exited 100' || fail "exit 100: not in the record"
wait_for '[ "$(state_of com.example.Boot100)" = RUNNING ]' 10 || fail "exit 100: state $(state_of com.example.Boot100)"
[ "$(cat "$out/com.example.Boot100.log")" = "$(printf 'bootstrap\ninstall\nrun')" ] \
    || fail "exit 100: steps ran: $(cat "$out/com.example.Boot100.log")"
[ ! -e "$out/reboot-calls" ] || fail "exit 100: a reboot was requested"

bootstrap_recipe com.example.Reboot 1.0.0 "echo bootstrap >> $out/com.example.Reboot.log; exit 101" "exec sleep 600"
id=$(ggl deploy local -r "$recipes" -c com.example.Reboot=1.0.0)
wait_for "[ -s '$out/reboot-calls' ]" 20 || fail "exit 101: the reboot command was not run"
status_json() { ggl deploy status "$id" --json=short; }
wait_for "ggl deploy status $id --json=short | grep -q '\"phase\":\"awaiting-reboot\"'" 10 \
    || fail "exit 101: not awaiting the reboot: $(status_json)"
status_json | grep -q '"state":"IN_PROGRESS"' || fail "exit 101: state while awaiting the reboot: $(status_json)"
[ "$(cat "$out/com.example.Reboot.log")" = bootstrap ] || fail "exit 101: went on before the reboot: $(cat "$out/com.example.Reboot.log")"
# Restarted in the same boot: the deployment keeps waiting, and is not rolled back.
ctl restart ggdeploymentd.service || fail "exit 101: restart in the same boot"
wait_for "ggl deploy status $id --json=short | grep -q 'started again in the same boot (boot-1)'" 10 \
    || fail "exit 101: same boot, not recovered: $(status_json)"
status_json | grep -q '"phase":"awaiting-reboot"' || fail "exit 101: same boot, no longer waiting: $(status_json)"
status_json | grep -q '"state":"IN_PROGRESS"' || fail "exit 101: same boot, state: $(status_json)"
# "After the reboot": another boot id, ggdeploymentd started again.
echo boot-2 > "$UM_TOP/boot_id"
ctl restart ggdeploymentd.service || fail "exit 101: restart after the reboot"
wait_for "ggl deploy status $id --json=short | grep -q '\"state\":\"SUCCEEDED\"'" 30 \
    || fail "exit 101: state after the reboot: $(status_json)"
[ "$(cat "$out/com.example.Reboot.log")" = "$(printf 'bootstrap\ninstall\nrun')" ] \
    || fail "exit 101: steps ran: $(cat "$out/com.example.Reboot.log")"
[ "$(wc -l < "$out/reboot-calls")" -eq 1 ] || fail "exit 101: reboot requested $(wc -l < "$out/reboot-calls") times"
[ "$(state_of com.example.Reboot)" = RUNNING ] || fail "exit 101: state $(state_of com.example.Reboot)"
status_json | grep -q 'the device rebooted' || fail "exit 101: the resume is not in the record: $(status_json)"

bootstrap_recipe com.example.Rollback 1.0.0 "{Script: echo bootstrap-1 >> $out/com.example.Rollback.log, BootstrapOnRollback: true}" \
    "exec sleep 600"
deploy -c com.example.Rollback=1.0.0 > "$out/rollback1.txt" 2>&1 || { cat "$out/rollback1.txt" >&2; fail "BootstrapOnRollback: first deploy exited $?"; }
bootstrap_recipe com.example.Rollback 2.0.0 "echo bootstrap-2 >> $out/com.example.Rollback.log" "exit 1"
deploy -c com.example.Rollback=2.0.0 > "$out/rollback2.txt" 2>&1
grep -q 'FAILED_ROLLBACK_COMPLETE' "$out/rollback2.txt" || fail "BootstrapOnRollback: state: $(cat "$out/rollback2.txt")"
wait_for '[ "$(state_of com.example.Rollback)" = RUNNING ]' 10 || fail "BootstrapOnRollback: state $(state_of com.example.Rollback)"
grep -x 'bootstrap-[12]' "$out/com.example.Rollback.log" | tr '\n' ' ' > "$out/rollback-bootstraps"
[ "$(cat "$out/rollback-bootstraps")" = "bootstrap-1 bootstrap-2 bootstrap-1 " ] \
    || fail "BootstrapOnRollback: bootstraps ran: $(cat "$out/rollback-bootstraps")"
# Without BootstrapOnRollback (com.example.Reboot 1.0.0), a rollback does not bootstrap.
bootstrap_recipe com.example.Reboot 2.0.0 "echo bootstrap-2 >> $out/com.example.Reboot.log" "exit 1"
deploy -c com.example.Reboot=2.0.0 > "$out/rollback3.txt" 2>&1
grep -q 'FAILED_ROLLBACK_COMPLETE' "$out/rollback3.txt" || fail "no BootstrapOnRollback: state: $(cat "$out/rollback3.txt")"
[ "$(grep -c '^bootstrap' "$out/com.example.Reboot.log")" -eq 2 ] \
    || fail "no BootstrapOnRollback: bootstraps: $(cat "$out/com.example.Reboot.log")"
[ "$(wc -l < "$out/reboot-calls")" -eq 1 ] || fail "no BootstrapOnRollback: a reboot was requested again"

section "dependencies: HARD and SOFT, started in order"
rm -f "$out/order.txt"
recipe com.example.C 1.0.0 "echo C >> $out/order.txt; exec sleep 600"
recipe com.example.B 1.0.0 "echo B >> $out/order.txt; exec sleep 600" \
"ComponentDependencies:
  com.example.C: {VersionRequirement: '^1.0.0', DependencyType: SOFT}"
recipe com.example.A 1.0.0 "echo A >> $out/order.txt; exec sleep 600" \
"ComponentDependencies:
  com.example.B: {VersionRequirement: '>=1.0.0', DependencyType: HARD}"
deploy -c com.example.A=1.0.0 > "$out/deps.txt" 2>&1 || { cat "$out/deps.txt" >&2; fail "deps: deploy exited $?"; }
wait_for "[ \$(wc -l < '$out/order.txt') -eq 3 ]" 10 || fail "deps: not all three ran"
# The order systemd started them in (After=): each dependency's process before its
# dependent's. (Their scripts' output may interleave: each runs once its unit is up.)
started() { ctl show -p ExecMainStartTimestampMonotonic --value "ggl.com.example.$1.service"; }
[ "$(started C)" -lt "$(started B)" ] && [ "$(started B)" -lt "$(started A)" ] \
    || fail "deps: start order C=$(started C) B=$(started B) A=$(started A), expected C < B < A"
for c in A B C; do
    [ "$(state_of com.example.$c)" = RUNNING ] || fail "deps: com.example.$c is $(state_of com.example.$c)"
done

section "two groups pinning incompatible versions: rejected before any change"
recipe com.example.C 2.0.0 "exec sleep 600"
before=$(ls "$GGL_UNIT_DIR"; ggl config export --format json)
ggl deploy local -r "$recipes" -g other-group -c com.example.C=2.0.0 --wait > "$out/conflict.txt" 2>&1
[ $? -eq 1 ] || fail "conflict: exit status, expected 1"
grep -q 'FAILED_NO_STATE_CHANGE' "$out/conflict.txt" || fail "conflict: state: $(cat "$out/conflict.txt")"
grep -q 'from com.example.B 1.0.0' "$out/conflict.txt" || fail "conflict: the requirement chain is not named: $(cat "$out/conflict.txt")"
after=$(ls "$GGL_UNIT_DIR"; ggl config export --format json)
[ "$before" = "$after" ] || fail "conflict: something changed"

section "removing a component"
deploy -d com.example.A > "$out/remove.txt" 2>&1 || { cat "$out/remove.txt" >&2; fail "remove: deploy exited $?"; }
for c in A B C; do
    [ ! -e "$GGL_UNIT_DIR/ggl.com.example.$c.service" ] || fail "remove: unit of com.example.$c left"
    [ ! -L "$GGL_UNIT_DIR/ggl.target.wants/ggl.com.example.$c.service" ] || fail "remove: com.example.$c still enabled"
    [ ! -e "$GGL_ROOT/packages/recipes/com.example.$c-1.0.0.yaml" ] || fail "remove: store entry of com.example.$c left"
done
ctl is-active --quiet ggl.com.example.A.service && fail "remove: com.example.A still runs"
[ "$(state_of com.example.Hello)" = RUNNING ] || fail "remove: Hello was disturbed"

section "path traversal: a component name, a ZIP entry"
ggl deploy local -r "$recipes" -c '../evil=1.0.0' > "$out/evil.txt" 2>&1
[ $? -eq 4 ] || fail "evil name: exit status, expected 4 (refused): $(cat "$out/evil.txt")"
grep -q 'not a valid component name' "$out/evil.txt" || fail "evil name: message: $(cat "$out/evil.txt")"
mkdir -p "$artifacts/com.example.Zip/1.0.0"
/usr/bin/python3 - "$artifacts/com.example.Zip/1.0.0/payload.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as archive:
    archive.writestr("ok.txt", "fine")
    archive.writestr("../../escape.txt", "escaped")
PY
recipe com.example.Zip 1.0.0 "exec sleep 600"
printf '    Artifacts:\n      - Uri: s3://bucket/payload.zip\n        Unarchive: ZIP\n' >> "$recipes/com.example.Zip-1.0.0.yaml"
deploy -c com.example.Zip=1.0.0 > "$out/zip.txt" 2>&1
[ $? -eq 1 ] || fail "zip: exit status, expected 1"
grep -q 'FAILED_NO_STATE_CHANGE' "$out/zip.txt" || fail "zip: state: $(cat "$out/zip.txt")"
grep -q 'escape.txt' "$out/zip.txt" || fail "zip: the entry is not named: $(cat "$out/zip.txt")"
find "$GGL_ROOT" -name escape.txt | grep -q . && fail "zip: the entry escaped"
[ ! -e "$GGL_ROOT/packages/artifacts/com.example.Zip" ] || [ -z "$(ls -A "$GGL_ROOT/packages/artifacts/com.example.Zip")" ] \
    || fail "zip: store entries left behind"
# The artifact-installer's own error reaches the deployment as it was.
mkdir -p "$artifacts/com.example.Tampered/1.0.0"
echo 'not what was signed' > "$artifacts/com.example.Tampered/1.0.0/run.sh"
recipe com.example.Tampered 1.0.0 "exec sleep 600"
printf '    Artifacts:\n      - Uri: s3://bucket/run.sh\n        Digest: %s\n' \
    "$(printf 'signed' | openssl dgst -sha256 -binary | base64)" >> "$recipes/com.example.Tampered-1.0.0.yaml"
deploy -c com.example.Tampered=1.0.0 > "$out/tampered.txt" 2>&1
[ $? -eq 1 ] || fail "tampered: exit status, expected 1"
grep -q 'digest mismatch for artifact s3://bucket/run.sh' "$out/tampered.txt" || fail "tampered: message: $(cat "$out/tampered.txt")"
[ ! -e "$GGL_ROOT/packages/artifacts/com.example.Tampered/1.0.0/run.sh" ] || fail "tampered: the artifact was stored"

section "kill -9 of ggdeploymentd mid-deployment: no stuck IN_PROGRESS"
cat > "$recipes/com.example.Slow-1.0.0.yaml" <<YAML
RecipeFormatVersion: '2020-01-25'
ComponentName: com.example.Slow
ComponentVersion: '1.0.0'
Manifests:
  - Lifecycle:
      install: touch $out/slow-installing; exec sleep 30
      run: exec sleep 600
YAML
id=$(ggl deploy local -r "$recipes" -c com.example.Slow=1.0.0)
wait_for "[ -e '$out/slow-installing' ]" 20 || fail "kill: the install did not start"
ctl kill --signal=KILL ggdeploymentd.service
wait_for '! ctl is-active --quiet ggdeploymentd.service' 10
ctl start ggdeploymentd.service || fail "kill: ggdeploymentd did not start again"
wait_for "ggl deploy status $id --json=short | grep -q '\"state\":\"FAILED_ROLLBACK_COMPLETE\"'" 60 \
    || fail "kill: deployment state after restart: $(ggl deploy status "$id" --json=short)"
ggl deploy list --json=short | grep -q IN_PROGRESS && fail "kill: a deployment is stuck IN_PROGRESS"
[ ! -e "$GGL_UNIT_DIR/ggl.com.example.Slow.service" ] || fail "kill: the interrupted component's unit is left"
[ "$(state_of com.example.Hello)" = RUNNING ] || fail "kill: Hello is $(state_of com.example.Hello)"

section "twenty components in one deployment"
adds=""
for i in $(seq 1 20); do
    recipe "com.example.Many$i" 1.0.0 "exec sleep 600"
    adds="$adds -c com.example.Many$i=1.0.0"
done
# shellcheck disable=SC2086
deploy $adds > "$out/many.txt" 2>&1 || { cat "$out/many.txt" >&2; fail "twenty: deploy exited $?"; }
running=$(ggl component list --json=short | grep -o '"state":"RUNNING"' | wc -l)
[ "$running" -ge 21 ] || fail "twenty: $running components RUNNING, expected 21"

if [ "$failures" -ne 0 ]; then
    ggl_daemon_journals
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "all deployment checks passed"
