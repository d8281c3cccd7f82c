#!/bin/sh
# `ggl recipe` from the outside: exit statuses, --check with its diff, show, validate, stdout.
# Usage: recipe_cli_test.sh GGL_RECIPE FIXTURES_DIR
set -u
ggl_recipe=$1 fixtures=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }
expect_status() {  # STATUS DESCRIPTION COMMAND...
    want=$1 what=$2
    shift 2
    "$@" > "$work/out" 2> "$work/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "$what: exit $got, expected $want; stderr: $(cat "$work/err")"
}
export GGL_ROOT=/var/lib/ggl-cli-test

expect_status 0 "translate to stdout" "$ggl_recipe" translate "$fixtures/every_field.yaml"
grep -q '^# ggl.com.example.EveryField.install.service$' "$work/out" || fail "stdout lacks the install unit header"

expect_status 0 "translate -o" "$ggl_recipe" translate "$fixtures/every_field.yaml" "$fixtures/minimal_run.yaml" -o "$work/units"
[ "$(ls "$work/units" | wc -l)" -eq 5 ] || fail "-o wrote $(ls "$work/units")"

expect_status 0 "--check, same units" "$ggl_recipe" translate "$fixtures/every_field.yaml" --check "$work/units"
[ -s "$work/out" ] && fail "--check printed output for identical units"

sed -i 's/^TimeoutStopSec=20$/TimeoutStopSec=99/' "$work/units/ggl.com.example.EveryField.service"
rm "$work/units/ggl.com.example.EveryField.recover.service"
expect_status 1 "--check, changed units" "$ggl_recipe" translate "$fixtures/every_field.yaml" --check "$work/units"
grep -q '^-TimeoutStopSec=99$' "$work/out" || fail "--check diff lacks the old line"
grep -q '^+TimeoutStopSec=20$' "$work/out" || fail "--check diff lacks the new line"
grep -q '^--- /dev/null$' "$work/out" || fail "--check diff lacks the missing recover unit"

# Stale units: DIR holds an install unit that the recipe no longer produces (an older
# version had an install phase) → exit 1, shown as removed. A unit of another component
# whose name extends this one's, or of a component not given, is not this recipe's.
rm -rf "$work/stale" && mkdir "$work/stale"
"$ggl_recipe" translate "$fixtures/minimal_run.yaml" -o "$work/stale" || fail "translate minimal_run.yaml"
printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' > "$work/stale/ggl.com.example.Minimal.Extra.service"
printf '[Service]\nExecStart=/bin/true\n' > "$work/stale/ggl.com.example.Other.install.service"
expect_status 0 "--check, other components' units only" "$ggl_recipe" translate "$fixtures/minimal_run.yaml" --check "$work/stale"
[ -s "$work/out" ] && fail "--check reported units of other components: $(cat "$work/out")"
printf '[Unit]\nDescription=old install\n[Service]\nType=oneshot\nExecStart=/bin/true\n' > "$work/stale/ggl.com.example.Minimal.install.service"
expect_status 1 "--check, stale unit" "$ggl_recipe" translate "$fixtures/minimal_run.yaml" --check "$work/stale"
grep -qx -- "--- $work/stale/ggl.com.example.Minimal.install.service" "$work/out" || fail "--check diff lacks the stale unit: $(cat "$work/out")"
grep -qx -- '+++ /dev/null' "$work/out" || fail "--check stale diff is not a removal: $(cat "$work/out")"
grep -qx -- '-Description=old install' "$work/out" || fail "--check stale diff lacks the removed lines"
grep -q 'Minimal.Extra\|Other.install' "$work/out" && fail "--check reported units of other components"
: > "$work/stale/ggl.com.example.Minimal.install.service"
expect_status 1 "--check, empty stale unit" "$ggl_recipe" translate "$fixtures/minimal_run.yaml" --check "$work/stale"
grep -qx -- "--- $work/stale/ggl.com.example.Minimal.install.service" "$work/out" || fail "--check lacks the empty stale unit"

expect_status 2 "--check on an invalid recipe" "$ggl_recipe" translate "$fixtures/invalid_version.yaml" --check "$work/units"
expect_status 2 "--check and -o together" "$ggl_recipe" translate "$fixtures/minimal_run.yaml" --check "$work/units" -o "$work/x"
expect_status 2 "a missing recipe" "$ggl_recipe" translate "$work/none.yaml"
grep -q "^ggl recipe: error: $work/none.yaml: cannot read the file: No such file or directory$" "$work/err" || fail "missing recipe message: $(cat "$work/err")"
expect_status 2 "a bad --platform" "$ggl_recipe" translate "$fixtures/minimal_run.yaml" --platform oslinux
expect_status 2 "no recipe" "$ggl_recipe" translate

# Nothing is written when one recipe of several fails.
expect_status 2 "one bad recipe among good ones" "$ggl_recipe" translate "$fixtures/minimal_run.yaml" "$fixtures/invalid_version.yaml" -o "$work/partial"
[ ! -e "$work/partial/ggl.com.example.Minimal.service" ] || fail "units were written although a recipe failed"

expect_status 1 "validate: all problems" "$ggl_recipe" validate "$fixtures/invalid_missing_fields.yaml"
[ "$(grep -c ': missing (required)$' "$work/err")" -eq 3 ] || fail "validate did not list all problems: $(cat "$work/err")"
expect_status 0 "validate: valid" "$ggl_recipe" validate "$fixtures/minimal_run.yaml" --json
grep -q '"valid": true' "$work/out" || fail "validate --json: $(cat "$work/out")"
expect_status 1 "validate --platform with no manifest" "$ggl_recipe" validate "$fixtures/reject_windows_only.yaml" --platform os=linux

# No manifest for the platform: a problem for validate (exit 1), without --platform too
# (this machine), naming the platform and what the manifests want; translate fails with
# exit 1 (not 2, kept for usage errors and unreadable or invalid recipes).
expect_status 1 "validate: no manifest for this machine" "$ggl_recipe" validate "$fixtures/reject_windows_only.yaml"
grep -q "reject_windows_only.yaml: no manifest matches the platform (os=linux, architecture=[a-z0-9_]*, .*); the manifests want: os=windows (for another device: --platform os=OS,architecture=ARCH)$" "$work/err" \
    || fail "validate: no-manifest message: $(cat "$work/err")"
expect_status 1 "validate --json: no manifest" "$ggl_recipe" validate "$fixtures/reject_windows_only.yaml" "$fixtures/minimal_run.yaml" --json=short
grep -q '"recipe":"[^"]*reject_windows_only.yaml","component":"com.example.WindowsOnly","version":"1.0.0","valid":false,"problems":1' "$work/out" \
    || fail "validate --json: no manifest: $(cat "$work/out")"
grep -q '"recipe":"[^"]*minimal_run.yaml",[^}]*"valid":true' "$work/out" || fail "validate --json: the valid one: $(cat "$work/out")"
expect_status 1 "validate for another device" "$ggl_recipe" validate "$fixtures/reject_no_match_arch.yaml" --platform os=linux,architecture=amd64
grep -q "no manifest matches the platform (os=linux, architecture=amd64, .*); the manifests want: os=linux, architecture=arm, architecture.detail=armv7l$" "$work/err" \
    || fail "validate --platform: no-manifest message: $(cat "$work/err")"
expect_status 1 "validate for arm without its detail" "$ggl_recipe" validate "$fixtures/reject_no_match_arch.yaml" --platform os=linux,architecture=arm
grep -q "no manifest matches the platform (os=linux, architecture=arm, runtime=aws_nucleus_lite)" "$work/err" \
    || fail "validate --platform architecture=arm kept this machine's detail: $(cat "$work/err")"
expect_status 0 "validate for an armv7l device" "$ggl_recipe" validate "$fixtures/reject_no_match_arch.yaml" --platform os=linux,architecture=armv7l
expect_status 0 "validate for arm with its detail" "$ggl_recipe" validate "$fixtures/reject_no_match_arch.yaml" --platform os=linux,architecture=arm,architecture.detail=armv7l
expect_status 0 "validate for windows" "$ggl_recipe" validate "$fixtures/reject_windows_only.yaml" --platform os=windows
expect_status 2 "validate: a bad --platform" "$ggl_recipe" validate "$fixtures/minimal_run.yaml" --platform oslinux
expect_status 1 "translate: no manifest" "$ggl_recipe" translate "$fixtures/reject_windows_only.yaml" --platform os=linux,architecture=amd64
grep -q "reject_windows_only.yaml: no manifest matches the platform (os=linux, architecture=amd64, .*); the manifests want: os=windows$" "$work/err" \
    || fail "translate: no-manifest message: $(cat "$work/err")"
expect_status 1 "translate: no manifest among good recipes" "$ggl_recipe" translate "$fixtures/minimal_run.yaml" "$fixtures/reject_windows_only.yaml" -o "$work/nomanifest"
[ ! -e "$work/nomanifest/ggl.com.example.Minimal.service" ] || fail "units were written although a recipe had no manifest"
expect_status 2 "translate: an invalid recipe and one without a manifest" "$ggl_recipe" translate "$fixtures/reject_windows_only.yaml" "$fixtures/invalid_version.yaml"
expect_status 0 "translate for an armv7l device" "$ggl_recipe" translate "$fixtures/reject_no_match_arch.yaml" --platform os=linux,architecture=armv7l

expect_status 0 "show --json" "$ggl_recipe" show "$fixtures/configuration_variables.yaml" --json=short --root-path /r
grep -q '"DECOMPRESSED":"/r/packages/artifacts-unarchived/com.example.ConfigVars/1.0.0"' "$work/out" || fail "show: $(cat "$work/out")"
expect_status 1 "show without a thing name" "$ggl_recipe" show "$fixtures/thing_name.yaml"
expect_status 0 "show with --thing-name" "$ggl_recipe" show "$fixtures/thing_name.yaml" --thing-name dev-42
grep -q "Script: echo 'dev-42'" "$work/out" || fail "show --thing-name: $(cat "$work/out")"
printf 'system:\n  thingName: from-file\nservices:\n  com.example.ConfigVars:\n    configuration:\n      text: overridden\n' > "$work/config.yaml"
expect_status 0 "show --config" "$ggl_recipe" show "$fixtures/configuration_variables.yaml" --config "$work/config.yaml" --json=short
grep -q '"TEXT":"overridden"' "$work/out" || fail "show --config: $(cat "$work/out")"

for verb in translate validate show; do
    expect_status 0 "$verb --help" "$ggl_recipe" "$verb" --help
    grep -q '^Exit status:' "$work/out" || fail "$verb --help lacks the exit statuses"
done

echo "$failures failures"
[ "$failures" -eq 0 ]
