#!/bin/sh
# `ggl check` against a real stack (docs/testing.md): the daemons of ggl.target as units,
# with their sockets, of a real systemd user manager; a device identity made with openssl
# here; the root path on small tmpfs mounts of this private mount namespace. Checks the
# ✓ lines and exit 0 of a healthy device (warnings allowed), then one fault at a time: a
# private key that does not match the certificate, a full disk, a BROKEN component,
# gghealthd stopped behind its socket (activated again) and with it, ggconfigd stopped
# (the configuration is then read from its database); --json, --ascii, usage errors.
# Usage: check_test.sh BIN_DIR (holding ggl, ggl-recipe and the daemons)
set -u
bin=$(realpath "$1")
. "$(dirname "$(realpath "$0")")/user_manager.sh"
. "$(dirname "$(realpath "$0")")/ggl_daemons.sh"

python=/usr/bin/python3
failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }
ggl() { "$bin/ggl" "$@"; }
out="$UM_TOP/out"
mkdir -p "$out"
export LANG=C.UTF-8 LC_ALL=C.UTF-8

# check [ARGS]: runs `ggl check --user`, output in $out/check.txt, exit status in $status.
check() {
    ggl check --user "$@" > "$out/check.txt" 2> "$out/check.err"
    status=$?
}
has() {  # START: a line of the last check starts with it
    awk -v start="$1" 'index($0, start) == 1 { found = 1 } END { exit !found }' "$out/check.txt" \
        || fail "no line starting '$1' in: $(cat "$out/check.txt" "$out/check.err")"
}
lacks() {  # PATTERN: no line of the last check matches it
    grep -q -e "$1" "$out/check.txt" && fail "a line matches '$1': $(grep -e "$1" "$out/check.txt")"
    return 0
}
expect_status() {  # STATUS WHAT
    [ "$status" -eq "$1" ] || fail "$2: exit $status, expected $1: $(cat "$out/check.txt" "$out/check.err")"
}

# The device identity: an EC key, its self-signed certificate (also the root CA here),
# and a second key that matches nothing.
pki="$UM_TOP/pki"
mkdir -p "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/device.key" \
    -out "$pki/device.crt" -days 365 -subj "/CN=check-thing" 2> "$out/openssl.err" || fail "openssl req: $(cat "$out/openssl.err")"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/other.key" 2> "$out/openssl.err" \
    || fail "openssl genpkey: $(cat "$out/openssl.err")"

# The root path on a 200 MiB tmpfs (free, so ✓), another of 8 MiB (less than 10 MiB: ×).
disk="$UM_TOP/disk"
small="$UM_TOP/small"
mkdir -p "$disk" "$small"
mount -t tmpfs -o size=200m tmpfs "$disk" && mount -t tmpfs -o size=8m tmpfs "$small" || fail "cannot mount the tmpfs roots"
um_on_exit "umount '$disk' '$small' 2>/dev/null"

cat > "$GGL_CONFIG_DIR/config.yaml" <<YAML
system:
  thingName: check-thing
  rootPath: $disk
  certificateFilePath: $pki/device.crt
  privateKeyPath: $pki/device.key
  rootCaPath: $pki/device.crt
YAML
start_ggl_daemons "$bin" || exit 1

# A healthy device without endpoints: ✓ lines, the endpoints a warning, exit 0.
check
cat "$out/check.txt"
expect_status 0 "healthy, no endpoints"
has "✓ configuration: read through ggconfigd"
has "✓ thing name: check-thing"
has "✓ device certificate: $pki/device.crt (CN=check-thing), valid until"
has "✓ private key: $pki/device.key matches the certificate"
has "✓ root CA: $pki/device.crt (1 certificate)"
has "‼ AWS IoT endpoints: iotDataEndpoint and iotCredEndpoint are not set"
has "    → ggl config set services/aws.greengrass.NucleusLite/configuration/iotDataEndpoint HOST"
has "✓ root path: $disk"
has "✓ disk space: 200 MiB free of 200 MiB (100%) under $disk"
has "✓ inodes:"
# $GGL_ROOT (the store, the database) is on another filesystem than the root path here.
grep -q "^[✓‼×] disk space (\$GGL_ROOT): .* free of .* under $GGL_ROOT\$" "$out/check.txt" \
    || fail "no disk space line for \$GGL_ROOT: $(cat "$out/check.txt")"
has "✓ bus gg_config: ggconfigd answers"
has "✓ bus gg_health: gghealthd answers"
has "✓ bus gg_deployment: ggdeploymentd answers"
for daemon in ggconfigd gghealthd ggdeploymentd; do
    has "✓ unit $daemon.service: active (running)"
done
has "✓ components: 0 components, none BROKEN or ERRORED"
lacks "^×"
grep -q "^[0-9]* checks: [0-9]* ok, [0-9]* warnings*, 0 errors" "$out/check.txt" || fail "summary: $(tail -n 1 "$out/check.txt")"

# With the endpoints set, they are ✓ too; the data endpoint is then tried: it resolves,
# and a TLS handshake there fails (nothing listens on port 1 here), ×, exit 1. (The
# handshake that succeeds is tested against the cloud test stand, tests/cloud.)
ggl config set services/aws.greengrass.NucleusLite/configuration/iotDataEndpoint localhost:1 > /dev/null || fail "set endpoint"
ggl config set services/aws.greengrass.NucleusLite/configuration/iotCredEndpoint cred.example.com > /dev/null || fail "set endpoint"
check
expect_status 1 "with an endpoint nothing answers at"
has "✓ AWS IoT endpoints: iotDataEndpoint localhost:1, iotCredEndpoint cred.example.com"
has "✓ AWS IoT endpoint: localhost resolves to"
has "× AWS IoT TLS: cannot connect to localhost:1"
ggl config delete services/aws.greengrass.NucleusLite/configuration/iotDataEndpoint > /dev/null || fail "delete endpoint"

# --json: a list of {check, status, detail, remedy} with the same findings.
check --json
expect_status 0 "--json"
$python - "$out/check.txt" "$pki" <<'EOF' || fail "--json: $(cat "$out/check.txt")"
import json, sys
findings = json.load(open(sys.argv[1]))
assert isinstance(findings, list) and findings, findings
for f in findings:
    assert set(f) == {"check", "status", "detail", "remedy"}, f
    assert f["status"] in ("ok", "warning", "error", "skipped"), f
    if f["status"] in ("ok", "skipped"):
        assert f["remedy"] is None, f
    else:
        assert isinstance(f["remedy"], str) and f["remedy"], f
by_check = {f["check"]: f for f in findings}
for name in ("thing name", "device certificate", "private key", "root CA", "root path",
             "disk space", "bus gg_config", "bus gg_health", "bus gg_deployment", "unit gghealthd.service", "components"):
    assert by_check[name]["status"] == "ok", by_check.get(name)
assert by_check["private key"]["detail"] == sys.argv[2] + "/device.key matches the certificate", by_check["private key"]
assert not [f for f in findings if f["status"] == "error"], findings
EOF

# --ascii: the same lines with plain marks.
check --ascii
has "[ OK ] thing name: check-thing"
LC_ALL=C ggl check --user > "$out/check.txt" 2>&1
has "[ OK ] bus gg_health: gghealthd answers"
LC_ALL=C $python -c 'import sys; sys.stdin.buffer.read().decode("ascii")' < "$out/check.txt" || fail "C locale output is not ASCII"

# A private key that does not match the certificate: ×, its remedy, exit 1.
ggl config set system/privateKeyPath "$pki/other.key" > /dev/null || fail "set privateKeyPath"
check
expect_status 1 "mismatched key"
has "× private key: $pki/other.key does not match the certificate $pki/device.crt"
has "    → set system/privateKeyPath to the key the certificate was issued for"
has "✓ device certificate:"
# A key file that is missing: × naming it.
ggl config set system/privateKeyPath "$pki/missing.key" > /dev/null || fail "set privateKeyPath"
check
expect_status 1 "missing key"
has "× private key: cannot read $pki/missing.key (system/privateKeyPath)"
ggl config set system/privateKeyPath "$pki/device.key" > /dev/null || fail "set privateKeyPath"

# The root path on a disk with less than 10 MiB free: ×.
ggl config set system/rootPath "$small" > /dev/null || fail "set rootPath"
check
expect_status 1 "small disk"
has "× disk space: 8.0 MiB free of 8.0 MiB (100%) under $small"
ggl config set system/rootPath "$disk" > /dev/null || fail "set rootPath"
check
expect_status 0 "back to the large disk"

# A BROKEN component: × naming it, with `ggl component logs` as the remedy.
printf 'RecipeFormatVersion: 2020-01-25\nComponentName: com.example.Broken\nComponentVersion: 1.0.0\nManifests:\n  - Lifecycle:\n      run: exit 3\n' \
    > "$out/broken.yaml"
"$bin/ggl-recipe" translate "$out/broken.yaml" -o "$GGL_UNIT_DIR" > /dev/null || fail "translate broken"
ctl daemon-reload
ctl start ggl.com.example.Broken.service 2> /dev/null
wait_for 'ggl component status com.example.Broken --json=short 2>/dev/null | grep -q BROKEN' 20 || fail "Broken never BROKEN"
check
expect_status 1 "BROKEN component"
has "× component com.example.Broken: BROKEN"
has "    → ggl component logs com.example.Broken, fix the cause, then ggl component restart com.example.Broken"
ctl stop ggl.com.example.Broken.service 2> /dev/null
rm -f "$GGL_UNIT_DIR"/ggl.com.example.Broken*
ctl daemon-reload
ctl reset-failed 2> /dev/null

# gghealthd stopped behind its listening socket: the check's call starts it again.
ctl stop gghealthd.service 2> /dev/null  # (it warns that its socket can start it again: the point)
check
expect_status 0 "gghealthd socket-activated"
has "✓ bus gg_health: gghealthd answers"
has "✓ unit gghealthd.service: active (running)"

# gghealthd and its socket stopped: its bus and unit checks fail, the components cannot
# be checked.
ctl stop gghealthd.socket gghealthd.service
check
cat "$out/check.txt"
expect_status 1 "gghealthd stopped"
has "× bus gg_health: gghealthd is not reachable:"
has "    → systemctl --user start gghealthd.service, then journalctl --user-unit gghealthd.service"
has "× unit gghealthd.service: inactive"
has "– components: gghealthd does not answer"
has "✓ bus gg_config: ggconfigd answers"
check --json=short
expect_status 1 "gghealthd stopped, --json"
$python - "$out/check.txt" <<'EOF' || fail "gghealthd stopped --json: $(cat "$out/check.txt")"
import json, sys
by_check = {f["check"]: f for f in json.load(open(sys.argv[1]))}
assert by_check["bus gg_health"]["status"] == "error" and "systemctl --user start" in by_check["bus gg_health"]["remedy"]
assert by_check["components"]["status"] == "skipped", by_check["components"]
assert by_check["bus gg_config"]["status"] == "ok"
EOF
ctl start gghealthd.socket gghealthd.service || fail "restart gghealthd"

# ggconfigd stopped: the configuration comes from its database file, still checked.
ctl stop ggconfigd.socket ggconfigd.service
check
expect_status 1 "ggconfigd stopped"
has "✓ configuration: read from $GGL_CONFIG_DB (ggconfigd does not answer)"
has "✓ thing name: check-thing"
has "✓ private key: $pki/device.key matches the certificate"
has "× bus gg_config: ggconfigd is not reachable:"
# ... and with neither ggconfigd nor a database: × naming the path.
GGL_CONFIG_DB="$UM_TOP/none.db" ggl check --user > "$out/check.txt" 2>&1
has "× configuration: ggconfigd does not answer and there is no database at $UM_TOP/none.db"
ctl start ggconfigd.socket ggconfigd.service || fail "restart ggconfigd"

# Usage errors exit 2 with a one-line message.
ggl check --bogus > /dev/null 2> "$out/err.txt"
[ $? -eq 2 ] && grep -q -- "--bogus" "$out/err.txt" || fail "unknown option: $(cat "$out/err.txt")"
ggl check --user --system > /dev/null 2> "$out/err.txt"
[ $? -eq 2 ] && grep -q "exclude each other" "$out/err.txt" || fail "--user with --system is not a usage error: $(cat "$out/err.txt")"
ggl check --timeout 0 > /dev/null 2> "$out/err.txt"
[ $? -eq 2 ] || fail "--timeout 0 is not a usage error"
GGL_SYSTEMD_SCOPE=both ggl check > /dev/null 2> "$out/err.txt"
[ $? -eq 2 ] && grep -q "GGL_SYSTEMD_SCOPE" "$out/err.txt" || fail "bad GGL_SYSTEMD_SCOPE: $(cat "$out/err.txt")"

if [ "$failures" -ne 0 ]; then
    ggl_daemon_journals
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "ggl check: all checks passed"
