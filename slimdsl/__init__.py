"""slimdsl: neural networks as .slim text files, checked statically, compiled to TensorFlow.

The public API (see docs/api in README.md)::

    from slimdsl import check_source, compile_file, load
    graph = compile_file("models/vgg_16.slim")      # raises CompileError with diagnostics
    graph.summary()                                 # the per-layer table (HTML in notebooks)
    Vgg16 = load("models/vgg_16.slim")              # the generated tf.Module class (needs TF)

Importing slimdsl never imports TensorFlow; only the ``run`` command and the generated modules do.
"""

__version__ = "0.1.0"

import gc as _gc  # noqa: E402

# Importing slimdsl makes some 40,000 objects (modules, classes, functions) and no garbage: the
# cycle collector, run every 700 allocations, would only rescan them (5-10% of a slimc check's
# import time). It is paused for these imports and left as it was.
_collecting = _gc.isenabled()
_gc.disable()
try:
    from .api import (  # noqa: E402
        CheckResult,
        CompileError,
        check_file,
        check_source,
        compile_file,
        compile_source,
    )
finally:
    if _collecting:
        _gc.enable()


def load(path: str, model: str | None = None, overrides: dict | None = None) -> type:
    """Compile a .slim file and return the generated TensorFlow class, in memory.

    ``model`` picks one model of a file that defines several; ``overrides`` replace parameter
    defaults. The class is the one ``slimc compile`` writes (a ``tf.Module``; build it with
    ``cls()`` or ``cls(device="/GPU:0")``, call it on a batch). TensorFlow is imported here, not
    by ``import slimdsl``; without it this raises ImportError saying how to install it. A file
    with errors raises :class:`CompileError`.
    """
    from .backends.tensorflow.run import load_class
    return load_class(path, model, overrides)


def format_source(text: str, path: str = "<string>") -> str:
    """The canonical layout of a .slim source (``slimc fmt``); comments are kept."""
    from .frontend.formatter import format_source as _format
    return _format(text, path)


__all__ = ["CheckResult", "CompileError", "__version__", "check_file", "check_source",
           "compile_file", "compile_source", "format_source", "load"]
