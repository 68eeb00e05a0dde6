#compdef angelctl
# angelctl completion for zsh (put it on $fpath as _angelctl, or source it after compinit).
_angelctl_completion() {
    local answer
    answer=$(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _ANGELCTL_COMPLETE=complete_zsh \
        angelctl 2>/dev/null)
    if [[ $answer == ":files" ]]; then
        _files
    elif [[ -n $answer ]]; then
        local -a candidates
        candidates=("${(@f)answer}")
        compadd -U -V angelctl -- $candidates  # -U: the answer is already matched, any case
    fi
}

compdef _angelctl_completion angelctl
