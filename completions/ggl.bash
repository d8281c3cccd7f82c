# bash completion for ggl. The candidates come from `ggl __complete WORDS...`, which
# walks ggl's own command-line parser, so they cannot drift from what ggl accepts.

_ggl() {
    local cur words cword
    if declare -F _get_comp_words_by_ref >/dev/null; then
        # bash-completion: keep --opt=value and a:b whole, as ggl sees them.
        _get_comp_words_by_ref -n =: cur words cword
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
    fi
    local program=${words[0]/#\~/$HOME}
    local line directive= candidates=()
    while IFS= read -r line; do
        case $line in
            :files | :dirs) directive=${line#:} ;;
            :hint*) ;;
            *) candidates+=("${line%%$'\t'*}") ;;
        esac
    done < <("$program" __complete "${words[@]:1:cword}" 2>/dev/null)

    if [[ $directive == files ]]; then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
    elif [[ $directive == dirs ]]; then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        return
    fi
    COMPREPLY=("${candidates[@]}")
    # A prefix (a map's path "a/b/", an option's "--opt=") goes on without a space.
    local candidate
    for candidate in "${COMPREPLY[@]}"; do
        if [[ $candidate == */ || $candidate == *= ]]; then
            compopt -o nospace 2>/dev/null
            break
        fi
    done
    # bash replaces only the part of the word after its last = or : (COMP_WORDBREAKS).
    local broken=${cur%"${cur##*[=:]}"}
    if [[ -n $broken && $COMP_WORDBREAKS == *[=:]* ]]; then
        COMPREPLY=("${COMPREPLY[@]#"$broken"}")
    fi
}

complete -F _ggl ggl
