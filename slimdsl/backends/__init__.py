"""Stage 4, generate: backends turn IR graphs (:mod:`slimdsl.ir`) into code.

A backend reads only the IR: shapes, variables, arguments with their sources, and the model
parameters that stay parameters at run time (``Graph.runtime``). :mod:`.tensorflow` is the one
backend today.
"""
