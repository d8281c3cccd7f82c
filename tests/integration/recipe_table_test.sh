#!/bin/sh
# Checks every recipe in a directory against a table of expected `ggl recipe translate`
# outcomes: "units N" (N units that systemd-analyze verify accepts with an empty stderr)
# or "error MESSAGE" (MESSAGE on stderr; exit 1 for "no manifest matches the platform",
# a valid recipe for other platforms, else exit 2). A recipe missing from the table, or a
# table entry without its file, fails the test: the table must cover the directory.
# Usage: recipe_table_test.sh GGL_RECIPE TABLE RECIPE_DIR
set -u
ggl_recipe=$1 table=$2 recipe_dir=$3
[ -x "$ggl_recipe" ] || { echo "not executable: $ggl_recipe" >&2; exit 1; }
[ -d "$recipe_dir" ] || { echo "recipe directory missing: $recipe_dir" >&2; exit 1; }
[ -f "$table" ] || { echo "table missing: $table" >&2; exit 1; }
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is needed (apt-get install systemd)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }

# Every file listed, every listing a file.
(cd "$recipe_dir" && find . -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | sed 's|^\./||' | sort) > "$work/files"
grep -v '^#' "$table" | grep -v '^$' | cut -f1 | sort > "$work/listed"
comm -23 "$work/files" "$work/listed" | while read -r f; do echo "FAIL not in the table: $f" >&2; done
comm -13 "$work/files" "$work/listed" | while read -r f; do echo "FAIL in the table, no such file: $f" >&2; done
[ -z "$(comm -3 "$work/files" "$work/listed")" ] || failures=$((failures + 1))

checked=0
tab=$(printf '\t')
while IFS="$tab" read -r file outcome; do
    case "$file" in ''|'#'*) continue ;; esac
    checked=$((checked + 1))
    out="$work/units.$checked"
    mkdir -p "$out"
    "$ggl_recipe" translate "$recipe_dir/$file" --platform os=linux,architecture=amd64 \
        --root-path /var/lib/ggl-test --thing-name test-thing -o "$out" 2> "$work/stderr"
    status=$?
    case "$outcome" in
    units\ *)
        want=${outcome#units }
        if [ $status -ne 0 ]; then
            fail "$file: exit $status, expected $want units: $(grep -v ': warning: ' "$work/stderr")"
            continue
        fi
        got=$(ls "$out" | wc -l)
        [ "$got" -eq "$want" ] || fail "$file: $got units, expected $want"
        # Dependencies are other components' units: stand-ins let verify load them.
        for dep in $(sed -n 's/^\(Requires\|Wants\)=\(ggl\..*\.service\)$/\2/p' "$out"/*.service | sort -u); do
            [ -f "$out/$dep" ] || printf '[Service]\nExecStart=/bin/true\n' > "$out/$dep"
        done
        verify=$(cd "$out" && systemd-analyze verify ./*.service 2>&1)
        verify_status=$?
        [ -z "$verify" ] && [ $verify_status -eq 0 ] || fail "$file: systemd-analyze verify: $verify"
        ;;
    error\ *)
        want=${outcome#error }
        case "$want" in
        "no manifest matches the platform"*) want_status=1 ;;
        *) want_status=2 ;;
        esac
        [ $status -eq $want_status ] || fail "$file: exit $status, expected $want_status with: $want"
        grep -qF -- "$want" "$work/stderr" || fail "$file: stderr lacks \"$want\"; got: $(cat "$work/stderr")"
        ;;
    *) fail "$file: bad outcome \"$outcome\" in the table" ;;
    esac
done < "$table"

echo "checked $checked recipes, $failures failures"
[ $failures -eq 0 ]
