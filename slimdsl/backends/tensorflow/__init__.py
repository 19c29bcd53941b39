"""The TensorFlow backend: a module of plain TensorFlow per .slim file, and running it.

- :mod:`.codegen`: :func:`~.codegen.generate`, graphs to the module's source (jinja2 templates
  in ``templates/`` lay it out);
- :mod:`.translate` and :mod:`.translate_more`: what each layer kind becomes (one translator per
  registry kind), built from :mod:`.pieces` (node context, values as code) and :mod:`.parts`
  (regularization, normalizers, linear layers);
- :mod:`.source`: Python literals, identifiers, comments and line wrapping, injection-safe;
- :mod:`.run`: ``slimc run``: device selection, loading the module, shape checks, timing.

Nothing here imports TensorFlow at import time (only :mod:`.run`, when it runs), and nothing
outside the backend imports jinja2.
"""
