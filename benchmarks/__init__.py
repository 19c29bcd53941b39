"""Benchmarks of slimdsl: ``python benchmarks/run.py`` (or ``python -m benchmarks``).

Results are recorded in ``docs/performance.md``; see :mod:`benchmarks.run`.
"""
