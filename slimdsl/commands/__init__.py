"""Subcommands of ``slimc``: one module each, with ``register(subparsers)`` and ``run(args)``.

:data:`COMMANDS` lists them in help order; :mod:`slimdsl.cli` builds the parser from it, so a new
command is a new module plus one line here.
"""

COMMANDS = ("check", "summary", "fmt", "compile", "run", "graph", "explain")
