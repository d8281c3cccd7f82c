#!/bin/bash
# Shell completion end to end: `ggl __complete` against ggl's parsers (every verb and
# option that --help shows is offered, nothing else), then the real bash, zsh and fish
# running the scripts of completions/ on a few command lines, without daemons (quiet,
# no candidates) and with a real ggconfigd (configuration paths, bus services, methods).
# Usage: completion_test.sh BIN_DIR COMPLETIONS_DIR
set -u
bin_dir=$1
completions_dir=$(cd "$2" && pwd)
failures=0

work=$(mktemp -d "${TMPDIR:-/tmp}/ggl-completion.XXXXXX") || exit 1
configd_pid=
cleanup() {
    if [[ -n $configd_pid ]]; then
        kill -TERM "$configd_pid" 2>/dev/null
        wait "$configd_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "completion_test: $*" >&2
    failures=$((failures + 1))
}

export PATH="$bin_dir:$PATH"
export GGL_RUNTIME_DIR=$work/run GGL_ROOT=$work/root GGL_CONFIG_DIR=$work/etc
export GGL_CONFIG_DB=$work/root/config.db
mkdir -p "$GGL_RUNTIME_DIR" "$GGL_ROOT" "$GGL_CONFIG_DIR"
mkdir -p "$work/cwd/recipes" && touch "$work/cwd/hello.yaml"
cd "$work/cwd" || exit 1

# --- The protocol, against --help: what completes is exactly what the parser takes.

# candidates WORDS...: the values `ggl __complete` offers, sorted, one per line.
candidates() {
    ggl __complete "$@" | grep -v '^:hint' | cut -f1 | sort
}

# expect NAME ACTUAL EXPECTED: both are sorted lists, one item per line.
expect() {
    [[ $2 == "$3" ]] || fail "$1: expected [$(echo $3)], got [$(echo $2)]"
}

# The option names in the Options rows of a --help.
help_options() {
    awk '/^Options:/ { on = 1; next } /^[A-Z]/ { on = 0 }
         on && /^ +-/ { sub(/^ +/, ""); split($0, cells, /  +/); print cells[1] }' |
        grep -oE -- '--?[A-Za-z][A-Za-z0-9-]*' | sort -u
}
help_verbs() {
    awk '/^Verbs:/ { on = 1; next } /^[A-Z]/ { on = 0 } on && /^  [a-z]/ { print $1 }' | sort
}

expect "ggl verbs" "$(candidates '')" \
    "$(ggl --help | awk '/^Verbs:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' | sort)"
for verb in config recipe bus deploy component check; do
    help=$(ggl "$verb" --help)
    subverbs=$(help_verbs <<<"$help")
    expect "ggl $verb verbs" "$(candidates "$verb" '')" "$subverbs"
    expect "ggl $verb options" "$(candidates "$verb" -)" "$(help_options <<<"$help")"
    # Every verb's options for a built-in verb and for a program (each exec costs).
    [[ $verb == deploy || $verb == bus ]] || continue
    for subverb in $subverbs; do
        expect "ggl $verb $subverb options" "$(candidates "$verb" "$subverb" -)" \
            "$(ggl "$verb" "$subverb" --help | help_options)"
    done
done
expect "option values from a validator" "$(candidates config export --format '')" "$(printf 'json\nyaml')"
expect "a flag's optional value" "$(candidates deploy list --json=s)" "--json=short"
expect "a directory option" "$(ggl __complete deploy local -r '')" ":dirs"
expect "a file positional" "$(ggl __complete recipe validate '')" ":files"
expect "after a verb's positional, its options" "$(candidates deploy status x --ti)" "--timeout"

# Daemon-backed candidates without daemons: nothing, no error text, and at once: with no
# socket to connect to, no call may wait for the query timeout (cli::kCompletionTimeout,
# 500 ms). Each is timed beside a completion that needs no daemon, run right before it,
# so a slow machine or a sanitizer build slows both alike.
daemon_ns=0 local_ns=0 calls=0
for words in "config get s" "config list " "bus call " "bus call gg_config " "component status " \
    "deploy status " "deploy local -d "; do
    read -ra args <<<"$words"
    [[ $words == *" " ]] && args+=("")
    start=$(date +%s%N)
    ggl __complete config export --format '' >/dev/null
    middle=$(date +%s%N)
    out=$(ggl __complete "${args[@]}" 2>"$work/stderr")
    status=$?
    local_ns=$((local_ns + middle - start)) daemon_ns=$((daemon_ns + $(date +%s%N) - middle))
    calls=$((calls + 1))
    [[ $status -eq 0 ]] || fail "'ggl __complete $words' exited $status without daemons"
    [[ -s $work/stderr ]] && fail "'ggl __complete $words' wrote to stderr: $(cat "$work/stderr")"
    [[ -n $(grep -v '^:hint' <<<"$out") ]] && fail "'ggl __complete $words' offered '$out' without daemons"
done
# Had each call waited out the timeout, the difference would be calls × 500 ms.
extra_ms=$(((daemon_ns - local_ns) / 1000000))
echo "completion_test: $calls daemon-backed completions took $((daemon_ns / 1000000)) ms," \
    "the same number of local ones $((local_ns / 1000000)) ms"
((extra_ms < calls * 250)) || fail "completion without daemons waited: $extra_ms ms more than" \
    "completions that need no daemon, over $calls calls"

# --- The shells: each runs once per batch of command lines (completed at their end),
# printing each line's candidates and then "@@end".

bash_complete() {  # LINE...
    bash --norc --noprofile -c '
        source /usr/share/bash-completion/bash_completion
        source "$1/ggl.bash"
        shift
        for line; do
            COMP_LINE=$line COMP_POINT=${#line}
            # Split as readline does: at blanks, and around = and : (COMP_WORDBREAKS).
            spaced=${line//=/ = }
            read -ra COMP_WORDS <<<"${spaced//:/ : }"
            [[ $line == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            COMPREPLY=()
            _ggl
            printf "%s\n" "${COMPREPLY[@]}" @@end
        done' bash "$completions_dir" "$@"
}

zsh_complete() {  # LINE...
    zsh -f -c '
        fpath=("$1" $fpath)
        shift
        autoload -Uz _ggl
        # Stand-ins for the completion system: print what would be offered.
        compadd() { print -rl -- "${@[${@[(i)--]}+1,-1]}" }
        _files() { print -r -- ":files $*" }
        _message() { print -r -- ":message $*" }
        for line in "$@"; do
            words=(${(z)line})
            [[ $line == *" " ]] && words+=("")
            CURRENT=${#words}
            _ggl
            print @@end
        done' zsh "$completions_dir" "$@"
}

fish_complete() {  # LINE...
    fish --no-config -c '
        source $argv[1]/ggl.fish
        for line in $argv[2..-1]
            complete -C $line
            echo @@end
        end' "$completions_dir" "$@" | cut -f1
}

# Cases: a command line and what every shell must offer for it (bash without the part
# of a word up to its '=', which readline keeps).
case_lines=()
case_expected=()
add_case() {  # LINE EXPECTED...
    case_lines+=("$1")
    shift
    case_expected+=("$(printf '%s\n' "$@" | sort)")
}

# expect_batch SHELL OUTPUT: compares each "@@end"-terminated part with its case.
expect_batch() {
    local shell=$1 output=$2 index=0 part= line expected
    while IFS= read -r line; do
        if [[ $line == @@end ]]; then
            expected=${case_expected[index]}
            [[ $shell == bash ]] && expected=$(sed 's/^.*=//' <<<"$expected" | sort)
            expect "$shell '${case_lines[index]}'" "$(sed '/^$/d' <<<"$part" | sort)" "$expected"
            index=$((index + 1))
            part=
        else
            part+=$line$'\n'
        fi
    done <<<"$output"
    ((index == ${#case_lines[@]})) || fail "$shell completed $index of ${#case_lines[@]} lines"
}

run_cases() {
    expect_batch bash "$(bash_complete "${case_lines[@]}")"
    expect_batch zsh "$(zsh_complete "${case_lines[@]}")"
    expect_batch fish "$(fish_complete "${case_lines[@]}")"
    case_lines=()
    case_expected=()
}

add_case "ggl con" config
add_case "ggl config g" get
add_case "ggl deploy l" local list
add_case "ggl config get --" --db --help --json --path --timeout
add_case "ggl deploy local --f" --failure-policy
add_case "ggl deploy local --json=p" --json=pretty
# All verbs, whatever verbs there are: the same as the protocol's.
mapfile -t verbs < <(candidates '')
add_case "ggl " "${verbs[@]}"
# Every option of `ggl deploy local`, short and long.
mapfile -t local_options < <(candidates deploy local -)
add_case "ggl deploy local -" "${local_options[@]}"
run_cases
# Files are the shell's own business (zsh's stand-in _files shows that it was asked).
expect "bash files" "$(bash_complete "ggl recipe validate h" | sed '/@@end/d')" "hello.yaml"
expect "zsh files" "$(zsh_complete "ggl recipe validate h" | sed '/@@end/d')" ":files "
expect "fish files" "$(fish_complete "ggl recipe validate h" | sed '/@@end/d')" "hello.yaml"

# --- With a real ggconfigd: configuration paths, services and methods.
ggconfigd 2>"$work/ggconfigd.log" &
configd_pid=$!
for _ in $(seq 200); do
    [[ -S $GGL_RUNTIME_DIR/gg_config ]] && ggl config list >/dev/null 2>&1 && break
    sleep 0.05
done
ggl config set system/thingName dev-42 &&
    ggl config set services/com.example.Hello/configuration/greeting '"hi"' &&
    ggl config set services/com.example.Other/version 1.0.0 ||
    fail "cannot provision ggconfigd: $(cat "$work/ggconfigd.log")"

add_case "ggl config get s" services/ system/
add_case "ggl config get system/" system/thingName
add_case "ggl config list services/com.example.H" services/com.example.Hello/
add_case "ggl config set services/com.example.Hello/configuration/" services/com.example.Hello/configuration/greeting
add_case "ggl bus describe gg_c" gg_config
run_cases
expect "call methods" "$(candidates bus call gg_config '')" \
    "$(printf '%s\n' backup delete ggl.describe list read restore write | sort)"
expect "subscribe methods" "$(candidates bus subscribe gg_config '')" "subscribe"
expect "a key path given with --path has no PATH candidates" \
    "$(candidates config set --path '["system"]' '')" ""

# --db reads the file itself, also without the daemon.
kill -TERM "$configd_pid" && wait "$configd_pid"
configd_pid=
expect "--db paths" "$(candidates config --db "$GGL_CONFIG_DB" get system/t)" "system/thingName"
expect "--db on a missing file" "$(candidates config --db "$work/none.db" get '')" ""
[[ -e $work/none.db ]] && fail "completion created the database $work/none.db"

if ((failures > 0)); then
    echo "completion_test: $failures failure(s)" >&2
    exit 1
fi
echo "completion_test: ok"
