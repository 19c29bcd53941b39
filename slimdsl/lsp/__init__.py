"""The language server (``slimc lsp``): live diagnostics, output shapes as inlay hints, hover,
completion, signature help, go to definition, the outline, formatting and quick fixes, for
editors that speak the Language Server Protocol.

It needs the ``lsp`` extra (pygls, lsprotocol); nothing else in slimdsl imports this package.

- :mod:`.workspace`: open documents, imports read through them, and the cache of checked files
  (:class:`~.workspace.Checker`: a model is lowered again only when an edit can change it);
- :mod:`.text`: positions (spans <-> LSP ranges in the client's encoding), URIs, words;
- :mod:`.syntax`: walking the syntax tree generically; :mod:`.context`: the cursor's context
  read from the text (works mid-edit);
- :mod:`.diagnostics`: diagnostics converted faithfully (notes, codes, fixes);
- :mod:`.hints`, :mod:`.hover`, :mod:`.completion`, :mod:`.navigation`, :mod:`.actions`: the
  features;
- :mod:`.server`: the pygls server and its handlers.
"""
