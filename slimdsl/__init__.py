"""slimdsl: neural networks as .slim text files, checked statically, compiled to TensorFlow.

The public API (see docs/api in README.md)::

    from slimdsl import check_source, compile_source
    graph = compile_source(open("models/vgg_16.slim").read(), "models/vgg_16.slim")
    print(graph.trainable_params)

Importing slimdsl never imports TensorFlow; only the ``run`` command and the generated modules do.
"""

__version__ = "0.1.0"

from .api import CheckResult, CompileError, check_file, check_source, compile_file, compile_source  # noqa: E402


def format_source(text: str, path: str = "<string>") -> str:
    """The canonical layout of a .slim source (``slimc fmt``); comments are kept."""
    from .frontend.formatter import format_source as _format
    return _format(text, path)


__all__ = ["CheckResult", "CompileError", "__version__", "check_file", "check_source",
           "compile_file", "compile_source", "format_source"]
