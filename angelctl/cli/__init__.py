"""Typer commands only: parse arguments, call the core, hand results to ``render``.

Modules here import nothing heavy at import time (no requests, rich, keyring or sandbox):
``angelctl --help`` must stay fast. Core modules are imported inside command bodies.
"""
