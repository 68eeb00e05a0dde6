# angelctl completion for bash (source it, or put it in bash-completion's directory).
_angelctl_completion() {
    local IFS=$'\n'
    local answer
    answer=$(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD="$COMP_CWORD" \
        _ANGELCTL_COMPLETE=complete_bash "$1" 2>/dev/null)
    if [[ $answer == ":files" ]]; then
        COMPREPLY=()
        compopt -o default
    else
        COMPREPLY=($answer)
    fi
    return 0
}

complete -o nosort -F _angelctl_completion angelctl
