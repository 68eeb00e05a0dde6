"""Rendering: rich tables on a TTY, plain text when piped, one JSON document with ``--json``.

Data goes to stdout, diagnostics to stderr. Static views are pure functions from typed values
to the rich-free models of ``render.view`` (drawn through rich on a terminal, as plain text
without importing rich otherwise); live views (stream, quote --watch, the kill panel) build
rich renderables. Nothing here talks to the network or reads config.
"""
