# angelctl completion for fish (put it in ~/.config/fish/completions/).
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
