"""The on-disk cache of the LALR tables (frontend.grammar): used when possible, never fatal."""

from __future__ import annotations

import os
import stat

from slimdsl.frontend import grammar as grammar_module
from slimdsl.frontend.parser import parse
from slimdsl.resources import grammar_path

SOURCE = "model m {\n  input x: [?, 8, 8, 3]\n  conv2d(4, [3, 3]) as c\n}\n"


def test_cache_file_lives_in_a_private_directory_under_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = grammar_module.grammar_cache_file(grammar_path())
    assert path and os.path.dirname(path) == str(tmp_path / "slimdsl")
    assert stat.S_IMODE(os.stat(tmp_path / "slimdsl").st_mode) == 0o700


def test_no_cache_without_a_usable_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")
    assert grammar_module.grammar_cache_file(grammar_path()) is False
    missing_home = tmp_path / "no" / "such" / "home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(missing_home))
    assert grammar_module.grammar_cache_file(grammar_path()) is False
    assert not (tmp_path / "no").exists()  # never creates more than <cache>/slimdsl


def test_a_corrupt_cache_file_is_rebuilt_and_parsing_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    expected = parse(SOURCE, "m.slim")
    cache = grammar_module.grammar_cache_file(grammar_path())
    with open(cache, "wb") as f:
        f.write(b"not a cache\n\x80garbage")
    fresh = grammar_module.grammar.__wrapped__()  # what a new process would do
    assert fresh.parse(SOURCE) == grammar_module.grammar().parse(SOURCE)
    with open(cache, "rb") as f:
        assert f.read(11) != b"not a cache"  # rewritten with valid tables
    loaded = grammar_module.grammar.__wrapped__()  # and loaded from them
    assert loaded.parse(SOURCE) == fresh.parse(SOURCE)
    assert parse(SOURCE, "m.slim") == expected
