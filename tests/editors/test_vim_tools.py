"""``gq`` and ``:make`` in Vim, through the ftplugin's ``formatprg`` and ``makeprg``: the
formatter as a filter never puts an error message into the buffer, and ``slimc check``'s output
fills the quickfix list."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VIM_RUNTIME = ROOT / "editors" / "vim"
SLIMC = [sys.executable, "-m", "slimdsl"]

MESSY = "model m() {\n    input   x: [?, 8, 8, 3]\n  conv2d(4,3) as c\n}\n"
TIDY = "model m() {\n  input x: [?, 8, 8, 3]\n  conv2d(4, 3) as c\n}\n"
BROKEN = "model m() {\n  input x: [?, 8, 8, 3]\n  conv2d(4,\n}\n"


def _filter(data: bytes) -> subprocess.CompletedProcess:
    return subprocess.run(SLIMC + ["fmt", "--quiet", "-"], input=data, capture_output=True,
                          timeout=60)


def test_the_formatter_as_a_filter_gives_back_what_it_cannot_format():
    ok = _filter(MESSY.encode())
    assert (ok.returncode, ok.stdout.decode(), ok.stderr) == (0, TIDY, b"")
    bad = _filter(BROKEN.encode())
    assert (bad.returncode, bad.stdout, bad.stderr) == (1, BROKEN.encode(), b"")
    binary = b"\xff\xfe not utf-8 \x00"
    unreadable = _filter(binary)
    assert (unreadable.returncode, unreadable.stdout, unreadable.stderr) == (2, binary, b"")
    loud = subprocess.run(SLIMC + ["fmt", "-"], input=BROKEN.encode(), capture_output=True,
                          timeout=60)  # without --quiet the reason goes to standard error
    assert loud.stdout == BROKEN.encode() and b"[syntax]" in loud.stderr


def _vim(tmp_path: Path, path: Path, commands: list[str],
         path_env: str | None = None) -> subprocess.CompletedProcess:
    vim = shutil.which("vim")
    if vim is None:
        pytest.skip("vim not installed (apt-get install vim)")
    if path_env is None:
        path_env = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    env = {**os.environ, "HOME": str(tmp_path), "PATH": path_env}
    slimc = Path(sys.executable).with_name("slimc")
    if not slimc.exists():
        pytest.skip("slimc is not installed next to this Python")
    args = [vim, "-Nu", "NONE", "-i", "NONE", "-es", "--cmd", f"set rtp^={VIM_RUNTIME}",
            "-c", "filetype plugin on", "-c", f"edit {path}"]
    for c in commands:
        args += ["-c", c]
    return subprocess.run(args + ["-c", "qa!"], env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_vim_gq_formats_and_never_replaces_the_buffer_with_an_error(tmp_path):
    good = tmp_path / "good.slimdsl"
    good.write_text(MESSY)
    _vim(tmp_path, good, ["normal! gggqG", "write"])
    assert good.read_text() == TIDY
    broken = tmp_path / "broken.slimdsl"
    broken.write_text(BROKEN)
    _vim(tmp_path, broken, ["silent! normal! gggqG", "write!"])
    assert broken.read_text() == BROKEN
    part = tmp_path / "part.slimdsl"  # gq on some lines: only those are formatted
    part.write_text("# head\n" + MESSY + "# tail\n")
    _vim(tmp_path, part, ["normal! 2GV$Gkgq", "write"])
    assert part.read_text() == "# head\n" + TIDY + "# tail\n"


def test_vim_gq_without_slimc_on_the_path_leaves_the_buffer_alone(tmp_path):
    messy = tmp_path / "messy.slimdsl"
    messy.write_text(MESSY)
    vim_dir = os.path.dirname(shutil.which("vim") or "/usr/bin/vim")
    _vim(tmp_path, messy, ["silent! normal! gggqG", "write!"], path_env=f"{vim_dir}:/bin")
    assert messy.read_text() == MESSY


def test_vim_make_fills_the_quickfix_list(tmp_path):
    model = tmp_path / "typo.slimdsl"
    model.write_text(TIDY.replace("conv2d(4, 3)", "conv2d(4, 3, stridee=2)"))
    out = tmp_path / "qf.json"
    _vim(tmp_path, model, ["silent make", f"call writefile([json_encode(getqflist())], "
                                          f"'{out}')"])
    entries = [e for e in json.loads(out.read_text()[:-1] if out.read_text().endswith("\n")
                                     else out.read_text()) if e["valid"]]
    assert [(e["lnum"], e["col"], e["type"]) for e in entries] == [(3, 16, "e")]
    assert entries[0]["text"].startswith("conv2d has no argument 'stridee' (did you mean")
