"""Test oracles shared by the test suite and the benchmarks: importable without pytest.

The tests import them as ``oracles`` (``tests/`` is on ``sys.path`` through ``conftest.py``);
the benchmarks put ``tests/`` on the path themselves.
"""
