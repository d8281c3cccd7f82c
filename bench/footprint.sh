#!/bin/sh
# bench/footprint (issue 6): what the runtime costs a device. Runs the stack as units of a
# real systemd user manager in a private namespace (tests/integration/user_manager.sh;
# needs root), from an install tree, and prints:
#   - installed size: du of the install tree (stripped), goal <= 1.1 MB;
#   - ready time: `systemctl --user start ggl.target` until every daemon said READY=1
#     (Type=notify: the start job returns then), median of ROUNDS, goal < 300 ms;
#   - PSS and RSS of each daemon idle after the sample deployment (/proc/PID/smaps_rollup)
#     and the total PSS, goal < 6 MiB.
# Figures only: nothing here passes or fails on a goal.
# Usage: bench/footprint.sh DIR [ROUNDS]
#   GGL_FOOTPRINT_MAPPINGS=N: also the N largest mappings of each daemon (PSS, private dirty).
#   DIR: a build's bin/ directory (installed, stripped, into a temp dir first) or the bin/
#   of an install tree (DESTDIR=T cmake --install BUILD --strip; then T/usr/bin).
set -u
dir=$(realpath "$1")
rounds=${2:-7}
src=$(dirname "$(realpath "$0")")/..

if [ -z "${GGL_IN_PRIVATE_NAMESPACE:-}" ] && [ -f "$dir/../CMakeCache.txt" ]; then
    # A build tree: install it, stripped, the way a package would, and measure that.
    stage=$(mktemp -d)
    trap 'rm -rf "$stage"' EXIT
    DESTDIR="$stage" cmake --install "$dir/.." --strip > /dev/null || { echo "cmake --install failed" >&2; exit 1; }
    prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$dir/../CMakeCache.txt")
    "$0" "$stage$prefix/bin" "$rounds"
    exit $?
fi
bin=$dir
. "$src/tests/integration/user_manager.sh"
. "$src/tests/integration/ggl_daemons.sh"

# The install tree: the directory that holds the prefix (DESTDIR), or the prefix itself.
tree=$(cd "$bin/.." && pwd)
case $tree in */usr) tree=${tree%/usr} ;; */usr/local) tree=${tree%/usr/local} ;; esac
echo "installed size: $(du -sk "$tree" | cut -f1) KiB = $(du -sb "$tree" | awk '{ printf "%.2f", $1 / 1e6 }') MB, du of $tree (goal <= 1.1 MB)"
echo "  $(du -sk "$bin" | cut -f1) KiB  $(cd "$bin" && pwd | sed "s|^$tree||") (ggl: $(stat -c %s "$bin/ggl") bytes; the rest are links to it)"
if [ -d "$bin/../share" ]; then
    echo "  $(du -sk "$bin/../share" | cut -f1) KiB  $(cd "$bin/../share" && pwd | sed "s|^$tree||") (man pages, completions)"
fi

cat > "$GGL_CONFIG_DIR/config.yaml" <<'YAML'
system:
  thingName: footprint-device
services:
  aws.greengrass.NucleusLite:
    configuration:
      awsRegion: eu-west-1
YAML
start_ggl_daemons "$bin" || exit 1
ms_now() { date +%s%N | cut -c1-13; }
times=""
for round in $(seq 1 "$rounds"); do
    ctl stop ggl.target
    start=$(ms_now)
    ctl start ggl.target || { echo "ggl.target did not start" >&2; ggl_daemon_journals; exit 1; }
    times="$times $(( $(ms_now) - start ))"
done
median=$(echo "$times" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "ready: systemctl --user start ggl.target until every daemon is ready: median $median ms of $rounds ($times ms) (goal < 300 ms)"

"$bin/ggl" deploy local -r "$src/samples/recipes" -a "$src/samples/artifacts" -c com.example.HelloWorld=1.0.0 --wait > /dev/null \
    || { echo "the sample deployment failed" >&2; ggl_daemon_journals; exit 1; }
"$bin/ggl" component list | grep -q 'com.example.HelloWorld.*RUNNING' || { echo "the sample is not RUNNING" >&2; exit 1; }
sleep 2  # idle: the deployment's work is done and its buffers released
total=0
for service in $(ctl show -p After --value ggl.target); do
    case $service in *.service) ;; *) continue ;; esac
    pid=$(ctl show -p MainPID --value "$service")
    pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")
    rss=$(awk '/^Rss:/ { print $2 }' "/proc/$pid/smaps_rollup")
    printf '  %-22s PSS %5s kB  RSS %5s kB\n' "${service%.service}" "$pss" "$rss"
    if [ -n "${GGL_FOOTPRINT_MAPPINGS:-}" ]; then
        # Where each daemon's PSS is: per mapping, PSS and private dirty kB, largest first.
        awk '/^[0-9a-f]+-[0-9a-f]+ / { name = $6 == "" ? "[anon]" : $6 }
             /^Pss:/ { pss[name] += $2 } /^Private_Dirty:/ { dirty[name] += $2 }
             END { for (n in pss) if (pss[n] > 0) printf "      %5d %5d  %s\n", pss[n], dirty[n], n }' \
            "/proc/$pid/smaps" | sort -rn | head -n "$GGL_FOOTPRINT_MAPPINGS"
    fi
    total=$((total + pss))
done
echo "PSS of the daemons idle after the sample deployment: total $total kB = $(awk -v k="$total" 'BEGIN { printf "%.2f", k / 1024 }') MiB (goal < 6 MiB)"
