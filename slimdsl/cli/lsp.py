"""``slimc lsp``: run the language server on standard input and output (for editors).

The server needs the ``lsp`` extra (``pip install 'slimdsl[lsp]'``: pygls and lsprotocol);
without it the command says so and exits 2. See docs/editors.md for each editor's set-up.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

from .common import EXIT_USAGE

HELP = "run the language server (LSP over stdio) for editors"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("lsp", help=HELP, description=HELP + ". Editors start it; see "
                       "docs/editors.md.")
    p.add_argument("--stdio", action="store_true",
                   help="accepted for clients that pass it; standard I/O is the only transport")
    return p


def run(args: argparse.Namespace) -> int:
    missing = [m for m in ("pygls", "lsprotocol") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"slimc: error: the language server needs {' and '.join(missing)}: install them "
              f"with: pip install 'slimdsl[lsp]'", file=sys.stderr)
        return EXIT_USAGE
    from ..lsp.server import serve
    return serve()
