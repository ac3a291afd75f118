# fish completion for berth.
# Candidates come from `berth __complete WORDS...`: "value<TAB>description" lines, then
# ":files", ":dirs" or ":none".

function __berth_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l directive :none
    for line in ($words[1] __complete $words[2..-1] $current 2>/dev/null)
        switch $line
            case ':*'
                set directive $line
            case '*'
                echo $line
        end
    end
    switch $directive
        case :files
            __fish_complete_path $current
        case :dirs
            __fish_complete_directories $current
    end
end

complete -c berth -f -a '(__berth_complete)'
