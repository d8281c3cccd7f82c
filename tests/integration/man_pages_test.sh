#!/bin/bash
# The man pages: each renders without a single groff warning, and every option that a
# command's --help shows (each verb and subverb of ggl, each daemon) is in its page.
# Usage: man_pages_test.sh MAN_SOURCE_DIR MAN_DIR BIN_DIR
set -u
man_source_dir=$1
man_dir=$2
bin_dir=$3
failures=0

fail() {
    echo "man_pages_test: $*" >&2
    failures=$((failures + 1))
}

# Every page of man/ (a page added there is tested without a change here).
pages=()
for source in "$man_source_dir"/*.scd; do
    pages+=("$(basename "$source" .scd)")
done
((${#pages[@]} >= 12)) || fail "only ${#pages[@]} page sources in $man_source_dir"

# -k runs preconv as man(1) does (the pages hold UTF-8: ✓ ‼ ×); -ww enables every warning.
for page in "${pages[@]}"; do
    if [[ ! -s $man_dir/$page ]]; then
        fail "$page was not built in $man_dir"
        continue
    fi
    warnings=$(groff -k -ww -man -Tutf8 "$man_dir/$page" 2>&1 >/dev/null)
    [[ -z $warnings ]] || fail "$page: groff warns: $warnings"
done

# The options a --help text offers: the rows of its Options section, and
# the usage lines (the daemons list their options there).
options_in_help() {
    awk '
        /^[A-Za-z ]*[Oo][Pp][Tt][Ii][Oo][Nn][Ss]:/ { rows = 1; next }
        /^Usage:/ { usage = 1 }
        /^$/ { usage = 0 }
        /^[A-Z][A-Za-z ]*:/ && !/^Usage:/ { rows = 0 }
        rows && /^ +-/ { sub(/^ +/, ""); split($0, cells, /  +/); print cells[1] }
        usage { print }
    ' | grep -oE '(^|[][ ,|])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[][ ,|]//' | sort -u
}

# The page as plain text with roff's \- and font escapes gone, so "--db" is found as
# typed; read once per page.
declare -A page_texts
page_text() {
    [[ -v page_texts[$1] ]] || page_texts[$1]=$(sed -E 's/\\-/-/g; s/\\f[BIRP]//g; s/\\&//g' "$man_dir/$1")
}

# check_options PAGE COMMAND...: every option of `COMMAND --help` is in PAGE.
check_options() {
    local page=$1
    shift
    local help
    if ! help=$("$@" --help 2>&1); then
        fail "'$* --help' failed: $help"
        return
    fi
    page_text "$page"
    local option found=0
    while read -r option; do
        [[ -n $option ]] || continue
        found=$((found + 1))
        [[ ${page_texts[$page]} =~ (^|[^A-Za-z0-9-])${option}([^A-Za-z0-9-]|$) ]] ||
            fail "$page does not document $option (from '$* --help')"
    done < <(options_in_help <<<"$help")
    # Every command has at least --help: finding none means the help was not parsed.
    ((found > 0)) || fail "no options found in '$* --help'"
}

# The verbs a --help lists under Verbs:.
verbs_in_help() {
    awk '/^Verbs:/ { on = 1; next } /^[A-Z]/ { on = 0 } on && /^  [a-z]/ { print $1 }'
}

# ggl, each of its verbs (as its --help lists them) and their verbs; each daemon,
# that is each program with a page in section 8.
ggl=$bin_dir/ggl
check_options ggl.1 "$ggl"
verbs=$("$ggl" --help | awk '/^Verbs:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }')
[[ -n $verbs ]] || fail "no verbs found in 'ggl --help'"
for verb in $verbs; do
    page=ggl-$verb.1
    if [[ ! -s $man_dir/$page ]]; then
        fail "'ggl $verb' has no page $page"
        continue
    fi
    check_options "$page" "$ggl" "$verb"
    for subverb in $("$ggl" "$verb" --help | verbs_in_help); do
        check_options "$page" "$ggl" "$verb" "$subverb"
    done
done
for page in "${pages[@]}"; do
    # A daemon is in bin/; a program only other ggl programs run, in ggl's libexec directory.
    program=$bin_dir/${page%.8}
    [[ -x $program ]] || program=$bin_dir/../libexec/ggl/${page%.8}
    [[ $page == *.8 ]] && check_options "$page" "$program"
done

if ((failures > 0)); then
    echo "man_pages_test: $failures failure(s)" >&2
    exit 1
fi
echo "man_pages_test: ${#pages[@]} pages render cleanly and document every option of --help"
