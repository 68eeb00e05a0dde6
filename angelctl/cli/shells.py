"""The shell completion scripts (``completions/angelctl.{bash,zsh,fish}`` are these, written by
``completions/generate``; a test keeps them equal).

All three speak one protocol (``cli.completion``): they run ``angelctl`` with
``_ANGELCTL_COMPLETE=complete_<shell>`` and the command line, show the candidates in the order
given (bash ``-o nosort``, zsh an unsorted group, fish ``--keep-order``), and complete file
names only when the answer is the single line ``:files`` — never as a fallback for an empty
answer, so a value that is not a path never completes to a file name.
"""

from __future__ import annotations

BASH = r"""# angelctl completion for bash (source it, or put it in bash-completion's directory).
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
"""

ZSH = r"""#compdef angelctl
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
"""

FISH = r"""# angelctl completion for fish (put it in ~/.config/fish/completions/).
function __angelctl_complete
    set -l answer (env _TYPER_COMPLETE_ARGS=(commandline -cp) _ANGELCTL_COMPLETE=complete_fish \
        angelctl 2>/dev/null)
    if test "$answer" = ":files"
        __fish_complete_path (commandline -ct)
    else
        printf '%s\n' $answer
    end
end

complete --command angelctl --no-files --keep-order --arguments "(__angelctl_complete)"
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH}
