#!/bin/sh
# The .deb: `cpack` builds it from BUILD_DIR; `dpkg --root` installs it into a
# throwaway root (maintainer scripts run chrootless on that tree: accounts, directories,
# ggl.target enabled); the files, Debian dependencies and accounts are checked, the
# programs run from there, `systemd-analyze verify` accepts the installed units silently,
# and `dpkg -r` then `dpkg --purge` leave nothing behind. Prints the installed size and the
# `systemd-analyze security` exposure of each daemon (figures).
# Usage: deb_package_test.sh BUILD_DIR   (needs root for the owners tmpfiles.d sets; 77 without)
set -u
build=$(realpath "$1")
# The package installs under the build's prefix (/usr unless configured otherwise).
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
# The ggl command's helper programs (docs/cli.md): /usr/libexec/ggl.
helper_dir=$prefix/$(sed -n 's/^CMAKE_INSTALL_LIBEXECDIR:PATH=//p' "$build/CMakeCache.txt")/ggl
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (dpkg --root with chown of /var/lib/greengrass)"; exit 77; }
for tool in cpack dpkg-deb dpkg-shlibdeps systemd-analyze; do
    command -v "$tool" > /dev/null || { echo "$tool is needed (tests/install-deps.sh)" >&2; exit 1; }
done

top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT
failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }

# Build the package.
if ! cpack -G DEB -B "$top/cpack" --config "$build/CPackConfig.cmake" > "$top/cpack.log" 2>&1; then
    cat "$top/cpack.log" >&2
    echo "FAIL cpack" >&2
    exit 1
fi
deb=$(ls "$top"/cpack/ggl_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { cat "$top/cpack.log" >&2; echo "FAIL no ggl_*.deb from cpack" >&2; exit 1; }
echo "package: $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB"

# Debian dependencies: dpkg-shlibdeps's, from what the programs and ggl's private
# libraries link (each library ggl calls, with the version its symbols need), and what
# the units need; never a library of ggl's own.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for needed in 'libc6 (>=' 'libstdc++6 (>=' 'libsystemd0 (>=' 'libsqlite3-0 (>=' 'libssl3 (>=' 'libyaml-0-2' 'libarchive13 (>=' \
    'libmsgpackc2 (>=' 'libmosquitto1 (>=' 'systemd (>= 247)' 'default-dbus-system-bus | dbus-system-bus'; do
    case ", $depends," in *", $needed"*) ;; *) fail "Depends lacks $needed" ;; esac
done
case $depends in *libggl*) fail "Depends names a libggl" ;; esac
dpkg-deb -I "$deb" conffiles 2>/dev/null | grep -qx '/etc/greengrass/config.yaml' || fail "config.yaml is not a conffile"

# A throwaway root with an empty dpkg database.
root="$top/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$root/var/log"
: > "$root/var/lib/dpkg/status"
: > "$root/var/lib/dpkg/available"
dpkg_root() { dpkg --root="$root" --log=/dev/null --force-depends --force-script-chrootless "$@"; }
if ! dpkg_root -i "$deb" > "$top/install.log" 2>&1; then
    cat "$top/install.log" >&2
    echo "FAIL dpkg -i" >&2
    exit 1
fi
dpkg --root="$root" -L ggl > "$top/files.txt"

# The file list: the executables, ggl's links and helpers, ggl's private libraries and no
# development files, units, accounts, directories, the example configuration.
unit_dir=$prefix/lib/systemd/system
for path in $prefix/bin/ggl $prefix/bin/ggl-config $prefix/bin/ggl-bus $prefix/bin/ggl-recipe $prefix/bin/recipe-runner \
    $helper_dir/artifact-installer \
    $prefix/bin/ggconfigd $prefix/bin/gghealthd $prefix/bin/ggdeploymentd $prefix/bin/ggipcd $prefix/bin/ggpubsubd \
    $prefix/bin/iotcored $unit_dir/iotcored.service $unit_dir/iotcored.socket \
    $unit_dir/ggl.target $unit_dir/ggconfigd.service $unit_dir/ggconfigd.socket \
    $unit_dir/gghealthd.service $unit_dir/gghealthd.socket $unit_dir/ggdeploymentd.service $unit_dir/ggdeploymentd.socket \
    $helper_dir/ggl-check $helper_dir/ggl-component-logs $helper_dir/ggl-config-db \
    $prefix/lib/sysusers.d/ggl.conf $prefix/lib/tmpfiles.d/ggl.conf /etc/greengrass/config.yaml; do
    grep -qx "$path" "$top/files.txt" || fail "the package lacks $path"
    [ -e "$root$path" ] || fail "$path is not installed"
done
for program in ggl-config ggl-bus ggl-recipe; do
    [ "$(readlink "$root$prefix/bin/$program")" = ggl ] || fail "$prefix/bin/$program is not a link to ggl"
done
# Each daemon is an executable of its own, and names exactly the libraries it calls:
# ggpubsubd and ggipcd map neither sqlite, nor libsystemd, nor libcrypto; ggdeploymentd
# leaves digests and archives to the artifact-installer, the one program that maps
# libcrypto and libarchive.
for program in recipe-runner ggconfigd gghealthd ggdeploymentd ggipcd ggpubsubd iotcored; do
    [ -f "$root$prefix/bin/$program" ] && [ ! -L "$root$prefix/bin/$program" ] || fail "$prefix/bin/$program is not an executable of its own"
done
for program in ggipcd ggpubsubd; do
    closure=$(ldd "$root$prefix/bin/$program" 2>&1)
    for library in libsqlite3 libsystemd libcrypto libyaml libarchive; do
        case $closure in *"$library"*) fail "$program maps $library, which it does not use" ;; esac
    done
done
# iotcored speaks MQTT through libmosquitto on OpenSSL and keeps its offline spool in
# sqlite, and nothing else of weight.
iotcored_closure=$(ldd "$root$prefix/bin/iotcored" 2>&1)
for library in libmosquitto libssl libsqlite3; do
    case $iotcored_closure in *"$library"*) ;; *) fail "iotcored does not map $library" ;; esac
done
for library in libsystemd libyaml libarchive; do
    case $iotcored_closure in *"$library"*) fail "iotcored maps $library, which it does not use" ;; esac
done
# ggl itself links (readelf -d) and maps (ldd) neither sqlite, nor libsystemd, nor
# libcrypto; the helpers it hands those verbs to each link what their verb uses.
needed() { readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }
ggl_needed=$(needed "$root$prefix/bin/ggl")
ggl_closure=$(ldd "$root$prefix/bin/ggl" 2>&1)
for library in libsqlite3 libsystemd libcrypto libggl-config-store libggl-systemd; do
    case " $(echo $ggl_needed) " in *" $library"*) fail "ggl needs $library (a helper's, docs/cli.md)" ;; esac
    case $ggl_closure in *"$library"*) fail "ggl maps $library" ;; esac
done
check_needs() {  # HELPER LIBRARY...
    local helper=$1 list library
    shift
    list=" $(needed "$root$helper_dir/$helper" | tr '\n' ' ')"
    for library in "$@"; do
        case $list in *" $library"*) ;; *) fail "$helper_dir/$helper does not need $library:$list" ;; esac
    done
}
check_needs ggl-check libcrypto libggl-config-store libggl-systemd
check_needs ggl-component-logs libggl-systemd
check_needs ggl-config-db libggl-config-store
for helper in ggl-component-logs ggl-config-db; do
    case $(needed "$root$helper_dir/$helper") in *libcrypto*) fail "$helper needs libcrypto" ;; esac
done
case $(needed "$root$helper_dir/ggl-config-db") in *libggl-systemd*) fail "ggl-config-db needs libggl-systemd" ;; esac
case $(needed "$root$helper_dir/ggl-component-logs") in *libggl-config-store*) fail "ggl-component-logs needs libggl-config-store" ;; esac
closure=$(ldd "$root$prefix/bin/ggdeploymentd" 2>&1)
for library in libcrypto libarchive; do
    case $closure in *"$library"*) fail "ggdeploymentd maps $library: artifacts are the artifact-installer's" ;; esac
done
closure=$(readelf -d "$root$helper_dir/artifact-installer" 2>&1)
for library in libcrypto libarchive; do
    case $closure in *"$library"*) ;; *) fail "artifact-installer does not name $library, which it calls" ;; esac
done
# Private libraries: in their own directory, no namelinks, no development files.
grep -E '/libggl[^/]*\.so\.0$' "$top/files.txt" | grep -qv "^$prefix/lib/[^/]*/ggl/" \
    && fail "a libggl outside $prefix/lib/<triplet>/ggl/"
grep -qE '/libggl\.so\.0$' "$top/files.txt" || fail "the package lacks libggl.so.0"
grep -E '\.(a|h|hpp)$|/libggl[^/]*\.so$|/include/' "$top/files.txt" | sed 's/^/FAIL development file shipped: /' >&2
grep -qE '\.(a|h|hpp)$|/libggl[^/]*\.so$|/include/' "$top/files.txt" && failures=$((failures + 1))
# Every daemon the package ships is started by ggl.target.
wants=$(sed -n 's/^Wants=//p' "$root$unit_dir/ggl.target")
for service in "$root$unit_dir"/*.service; do
    name=$(basename "$service")
    case " $wants " in *" $name "*) ;; *) fail "ggl.target does not want $name" ;; esac
done

# The programs run from the tree: RUNPATH finds the private libraries there, and every
# other library is one the Depends above provides.
for program in "$root$prefix"/bin/* "$root$helper_dir"/*; do
    if ldd "$program" 2>&1 | grep -q 'not found'; then
        fail "$(basename "$program") has unresolved libraries: $(ldd "$program" | grep 'not found' | tr -s ' \t' ' ')"
    fi
done
version=$("$root$prefix/bin/ggl" --version 2>&1) || fail "ggl --version from the installed tree: $version"
# ggl finds its helper in the tree (../libexec/ggl), and the helper its libraries.
stored=$(GGL_LOG_LEVEL=warn "$root$prefix/bin/ggl" config --db "$top/image.db" set system/thingName deb-1 2>&1 &&
    "$root$prefix/bin/ggl" config --db "$top/image.db" get system/thingName 2>&1)
[ "$stored" = deb-1 ] || fail "ggl config --db from the installed tree: $stored"
[ "$(stat -c %s "$root$prefix/bin/ggconfigd")" -gt 0 ] && file "$root$prefix/bin/ggconfigd" | grep -q 'not stripped' \
    && fail "ggconfigd is not stripped"

# Maintainer scripts, on the tree: accounts, directories with owners, ggl.target enabled.
grep -q '^ggcore:' "$root/etc/passwd" || fail "no ggcore user in the tree's /etc/passwd"
grep -q '^ggc_user:' "$root/etc/passwd" || fail "no ggc_user in the tree's /etc/passwd"
grep -q '^ggc_group:' "$root/etc/group" || fail "no ggc_group in the tree's /etc/group"
ggcore_gid=$(awk -F: '$1 == "ggcore" { print $3 }' "$root/etc/group")
[ "$(stat -c '%a %u %g' "$root/var/lib/greengrass" 2>/dev/null)" = "771 0 $ggcore_gid" ] \
    || fail "/var/lib/greengrass: $(stat -c '%a %u %g' "$root/var/lib/greengrass" 2>&1), expected 771 0 $ggcore_gid"
[ ! -e "$root/run/greengrass" ] || fail "the --root install made /run/greengrass (boot makes it)"
[ -L "$root/etc/systemd/system/multi-user.target.wants/ggl.target" ] || fail "ggl.target is not enabled"

# The installed units, as the system manager would load them from this tree: a copy of
# it with the host's own units beside (sysinit.target, dbus.socket, ...), which a real
# system has. --man=no: the host's man does not see the tree's pages; that every page the
# units name is in the package is checked below instead.
verify_root="$top/verify-root"
cp -a "$root" "$verify_root" && mkdir -p "$verify_root/lib/systemd" && cp -a /lib/systemd/system "$verify_root/lib/systemd/" \
    || fail "cannot copy the tree for systemd-analyze verify"
(cd "$verify_root$unit_dir" && systemd-analyze verify --man=no --root="$verify_root" ggl.target ./*.service ./*.socket) \
    > "$top/verify.txt" 2>&1
if [ -s "$top/verify.txt" ]; then
    fail "systemd-analyze verify is not silent:"
    cat "$top/verify.txt" >&2
fi
rm -rf "$verify_root"
for page in $(sed -n 's/^Documentation=//p' "$root$unit_dir"/* | tr ' ' '\n' | sed -n 's/^man:\(.*\)(\([0-9]\))$/\1.\2/p' | sort -u); do
    grep -qE "/share/man/man${page##*.}/${page}(\.gz)?$" "$top/files.txt" || fail "the units name man page ${page%.*}(${page##*.}), which the package lacks"
done
for service in "$root$unit_dir"/*.service; do
    name=$(basename "$service")
    exposure=$(systemd-analyze security --offline=yes --root="$root" "$unit_dir/$name" 2>/dev/null \
        | sed -n 's/.*Overall exposure level for [^:]*: *\([0-9.]*\) *\(.*\)/\1 \2/p')
    echo "systemd-analyze security $name: ${exposure:-?}"
    # Each daemon is at worst MEDIUM (below 5.0; systemd's own scale, 10 = UNSAFE).
    case ${exposure%% *} in [0-4].*) ;; *) fail "$name exposure ${exposure:-unknown}, expected < 5.0" ;; esac
done

# Installed size: what the package puts on the disk (stripped), against the goal.
installed_kib=$(dpkg-deb -f "$deb" Installed-Size)
du_kib=$(grep -v '/$' "$top/files.txt" | while read -r path; do [ -f "$root$path" ] && [ ! -L "$root$path" ] && echo "$root$path"; done \
    | xargs du -ck 2>/dev/null | tail -n 1 | cut -f1)
echo "installed size: ${du_kib} KiB on disk (du of the package's files), Installed-Size ${installed_kib} KiB (goal <= 2500 kB)"

# Removal leaves the conffile only, and purge leaves nothing but the accounts (and the
# lock file of the account databases).
dpkg_root -r ggl > "$top/remove.log" 2>&1 || { cat "$top/remove.log" >&2; fail "dpkg -r"; }
grep -v '^/etc/greengrass/config.yaml$' "$top/files.txt" | while read -r path; do
    [ -d "$root$path" ] && continue
    [ -e "$root$path" ] || [ -L "$root$path" ] && echo "$path"
done > "$top/left.txt"
[ -s "$top/left.txt" ] && fail "left after dpkg -r: $(tr '\n' ' ' < "$top/left.txt")"
[ -e "$root/etc/systemd/system/multi-user.target.wants/ggl.target" ] && fail "ggl.target still enabled after dpkg -r"
[ -f "$root/etc/greengrass/config.yaml" ] || fail "dpkg -r removed the conffile config.yaml (only purge should)"
dpkg_root --purge ggl > "$top/purge.log" 2>&1 || { cat "$top/purge.log" >&2; fail "dpkg --purge"; }
left=$(cd "$root" && find . ! -type d | grep -v -E '^\./(var/lib/dpkg/|etc/(passwd|group|shadow|gshadow)-?$|etc/\.pwd\.lock$)')
[ -z "$left" ] && [ ! -e "$root/var/lib/greengrass" ] && [ ! -e "$root/etc/greengrass" ] \
    || fail "left after dpkg --purge: $left $(ls -d "$root/var/lib/greengrass" "$root/etc/greengrass" 2>/dev/null)"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "ok"
