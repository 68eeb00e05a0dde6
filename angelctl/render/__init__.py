"""Rendering: rich tables on a TTY, plain text when piped, one JSON document with ``--json``.

Data goes to stdout, diagnostics to stderr. Views are pure functions from typed values to
rich renderables; nothing here talks to the network or reads config.
"""
