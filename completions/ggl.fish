# fish completion for ggl. The candidates come from `ggl __complete WORDS...`, which
# walks ggl's own command-line parser, so they cannot drift from what ggl accepts.

function __ggl_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    for line in ($tokens[1] __complete $tokens[2..-1] $current 2>/dev/null)
        switch $line
            case :files
                __fish_complete_path $current
            case :dirs
                __fish_complete_directories $current
            case ':hint*'
            case '*'
                printf '%s\n' $line
        end
    end
end

complete -c ggl -f -a '(__ggl_complete)'
