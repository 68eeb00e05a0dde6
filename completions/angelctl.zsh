
#compdef angelctl

_angelctl_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _ANGELCTL_COMPLETE=complete_zsh angelctl)
}

compdef _angelctl_completion angelctl

