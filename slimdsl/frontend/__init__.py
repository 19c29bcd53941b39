"""Stage 1, the front end: .slim text -> syntax tree -> program (a file with its imports).

- :mod:`.grammar`: the Lark grammar, analysed by Lark (cached on disk), and its post-lexer;
- :mod:`.tables`, :mod:`.lexer`, :mod:`.lalr`, :mod:`.builder`: Lark's tables as plain data
  (cached on disk), and the lexer and LALR loop over them that build :mod:`.tree` nodes;
- :mod:`.parser`: :func:`parse`, text to :mod:`.tree`, syntax errors as diagnostics;
- :mod:`.tree`: the syntax tree, one frozen dataclass per grammar rule;
- :mod:`.program`: :func:`load_program`, a file and everything it imports, indexed by name;
- :mod:`.incremental`: :class:`~.incremental.Document`, an editor's text re-parsed where edits
  change it (loaded only by editors' tools);
- :mod:`.formatter`: ``slimc fmt``, the canonical layout (loaded only by ``fmt``).
"""

from .parser import MAX_SOURCE_BYTES, parse
from .program import Program, load_program, read_text

__all__ = ["MAX_SOURCE_BYTES", "Program", "load_program", "parse", "read_text"]
