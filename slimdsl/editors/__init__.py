"""Editor support derived from the compiler: :mod:`.vocabulary` (the words of the language by
category) and :mod:`.pygments_lexer` (the ``slimdsl`` Pygments lexer, an entry point; Pygments
is optional and nothing in the compiler imports it)."""
