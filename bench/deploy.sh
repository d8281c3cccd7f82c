#!/bin/sh
# bench/deploy: wall time of `ggl deploy local --wait` until every component is RUNNING,
# for 1 and for 20 trivial components, and the PSS of ggdeploymentd and gghealthd idle
# and during the 20-component deployment. Runs the daemons as units of a real systemd
# user manager in a private namespace (tests/integration/user_manager.sh; needs root).
# Usage: bench/deploy.sh BIN_DIR [ROUNDS]
set -u
bin=$(realpath "$1")
rounds=${2:-3}
. "$(dirname "$(realpath "$0")")/../tests/integration/user_manager.sh"
. "$(dirname "$(realpath "$0")")/../tests/integration/ggl_daemons.sh"

start_ggl_daemons "$bin" || exit 1
recipes="$UM_TOP/recipes"
mkdir -p "$recipes"
for i in $(seq 1 20); do
    for v in $(seq 1 "$rounds"); do
        printf "RecipeFormatVersion: '2020-01-25'\nComponentName: bench.C%s\nComponentVersion: '1.0.%s'\nManifests:\n  - Lifecycle:\n      run: exec sleep 3600\n" \
            "$i" "$v" > "$recipes/bench.C$i-1.0.$v.yaml"
    done
done

pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
main_pid() { ctl show -p MainPID --value "$1.service"; }
ms_now() { date +%s%3N; }

deployd=$(main_pid ggdeploymentd)
healthd=$(main_pid gghealthd)
echo "ggdeploymentd PSS idle: $(pss_kb "$deployd") kB"
echo "gghealthd PSS idle:     $(pss_kb "$healthd") kB"

best_one=""
best_twenty=""
peak_deployd=0
peak_healthd=0
removes=""
for i in $(seq 1 20); do removes="$removes -d bench.C$i"; done
for v in $(seq 1 "$rounds"); do
    start=$(ms_now)
    "$bin/ggl" deploy local -r "$recipes" -c "bench.C1=1.0.$v" --wait > /dev/null || { echo "deploy of 1 failed" >&2; exit 1; }
    one=$(( $(ms_now) - start ))
    "$bin/ggl" deploy local -d bench.C1 --wait > /dev/null || { echo "removal failed" >&2; exit 1; }
    adds=""
    for i in $(seq 1 20); do adds="$adds -c bench.C$i=1.0.$v"; done
    ( while :; do
          echo "$(pss_kb "$deployd") $(pss_kb "$healthd")"
          sleep 0.02
      done ) > "$UM_TOP/pss.txt" &
    sampler=$!
    start=$(ms_now)
    # shellcheck disable=SC2086
    "$bin/ggl" deploy local -r "$recipes" $adds --wait > /dev/null || { kill $sampler; echo "deploy of 20 failed" >&2; exit 1; }
    twenty=$(( $(ms_now) - start ))
    kill $sampler; wait $sampler 2>/dev/null
    running=$("$bin/ggl" component list --json=short | grep -o '"state":"RUNNING"' | wc -l)
    [ "$running" -eq 20 ] || { echo "only $running components RUNNING" >&2; exit 1; }
    peak_deployd=$(awk -v p="$peak_deployd" '{ if ($1 > p) p = $1 } END { print p }' "$UM_TOP/pss.txt")
    peak_healthd=$(awk -v p="$peak_healthd" '{ if ($2 > p) p = $2 } END { print p }' "$UM_TOP/pss.txt")
    echo "round $v: 1 component $one ms; 20 components $twenty ms"
    if [ -z "$best_one" ] || [ "$one" -lt "$best_one" ]; then best_one=$one; fi
    if [ -z "$best_twenty" ] || [ "$twenty" -lt "$best_twenty" ]; then best_twenty=$twenty; fi
    # shellcheck disable=SC2086
    "$bin/ggl" deploy local $removes --wait > /dev/null || { echo "removal failed" >&2; exit 1; }
done
echo "deploy --wait to all RUNNING, best of $rounds: 1 component $best_one ms (goal < 1000), 20 components $best_twenty ms (goal < 5000)"
echo "  (includes ggdeploymentd's settle time: a component counts once RUNNING for $(ctl show -p ExecStart --value ggdeploymentd.service | grep -o 'settle-ms=[0-9]*' || echo 'settle-ms=500'))"
echo "PSS during the 20-component deployments (peak): ggdeploymentd $peak_deployd kB, gghealthd $peak_healthd kB"
