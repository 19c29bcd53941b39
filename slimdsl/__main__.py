"""``python -m slimdsl`` is the ``slimc`` command."""

from .cli import main

raise SystemExit(main())
