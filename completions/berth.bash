# bash completion for berth                                -*- shell-script -*-
# Candidates come from `berth __complete WORDS...`: "value<TAB>description" lines, then
# ":files", ":dirs" or ":none".

_berth() {
    local cur words cword
    if declare -F _get_comp_words_by_ref >/dev/null; then
        _get_comp_words_by_ref -n =: cur words cword
    else
        cur=${COMP_WORDS[COMP_CWORD]} words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi
    local output
    output=$("${words[0]}" __complete "${words[@]:1:cword-1}" "$cur" 2>/dev/null) || return 0
    local line directive=":none"
    COMPREPLY=()
    while IFS= read -r line; do
        case $line in
            :*) directive=$line ;;
            *) COMPREPLY+=("${line%%$'\t'*}") ;;
        esac
    done <<<"$output"
    case $directive in
        :files) compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -f -- "$cur")) ;;
        :dirs) compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -d -- "$cur")) ;;
    esac
    # Bash replaces only the text after "=" (a word break): drop "--option=" from the answers.
    if [[ $cur == *=* && $COMP_WORDBREAKS == *=* ]]; then
        local prefix=${cur%%=*}=
        COMPREPLY=("${COMPREPLY[@]#"$prefix"}")
    fi
    if declare -F __ltrim_colon_completions >/dev/null; then
        __ltrim_colon_completions "$cur"
    fi
    return 0
}

complete -F _berth berth
