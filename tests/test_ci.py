"""CI runs what the README says, and the default run leaves nothing out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _readme_test_command() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("Run the tests")
    block = re.search(r"```sh\n(.+?)\n```", text[start:], re.S)
    assert block, "the README's test command is a ```sh block after 'Run the tests'"
    return block.group(1).strip()


def test_ci_runs_exactly_the_readme_test_command():
    command = _readme_test_command()
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert lines[-1] == command, f".ci/run ends with {lines[-1]!r}, the README says {command!r}"
    assert "set -euo pipefail" in lines  # exit code 5 (no tests collected) fails CI too
    assert "-n 2" in command  # two xdist workers: the CI machine has two cores


def test_ci_installs_graphviz_when_missing():
    text = (ROOT / ".ci" / "run").read_text()
    assert "command -v dot" in text and "apt-get install -y" in text and "graphviz" in text


def test_the_default_run_deselects_only_what_is_beyond_ci():
    """CI runs the full-size fuzz runs and every slow test; only the export formats of the
    largest networks and the full symbolic-shape run (beyond the 30-minute budget) are left
    out, and those are marked slow too (tests/test_export_zoo.py, tests/test_symbolic_tf.py)."""
    text = (ROOT / "pyproject.toml").read_text()
    addopts = re.search(r'^addopts = "(.*)"$', text, re.M).group(1)
    assert "-m 'not fullexport and not fullsymbolic'" in addopts, addopts
    assert "fullfuzz" not in addopts and "slow" not in addopts, addopts
    assert "--strict-markers" in addopts
    test_extra = text[text.index("test = ["):text.index("]", text.index("test = ["))]
    assert '"pytest-xdist' in test_extra


def test_the_readme_says_how_long_each_command_takes():
    text = (ROOT / "README.md").read_text()
    table = text[text.index("How long each command takes"):text.index("## Commands")]
    rows = [r for r in table.splitlines() if r.startswith("| `")]
    assert len(rows) >= 4 and all(re.search(r"\d+ (s|min)", r) for r in rows), rows


def _run_ci_with_stubs(tmp_path: Path, *, dot: bool, pytest_exit: int = 0,
                       apt_exit: int = 0):
    """Run the real ``.ci/run`` in a copy whose tools are stubs (``npm`` succeeds):
    ``python3 -m venv`` makes a
    ``.venv`` whose ``pip`` succeeds and whose ``python -m pytest`` exits ``pytest_exit``;
    ``apt-get`` logs its arguments and, when it succeeds, installs a ``dot``. PATH holds only
    the stubs, so the script cannot see this machine's Graphviz."""
    import os
    import shutil
    import subprocess

    clone, stubs = tmp_path / "clone", tmp_path / "bin"
    (clone / ".ci").mkdir(parents=True)
    (clone / "editors" / "vscode").mkdir(parents=True)
    stubs.mkdir()
    shutil.copy2(ROOT / ".ci" / "run", clone / ".ci" / "run")
    log = tmp_path / "log"
    for tool in ("dirname", "mkdir", "chmod", "cat"):
        (stubs / tool).symlink_to(shutil.which(tool))

    def stub(path: Path, body: str) -> None:
        path.write_text(f"#!/bin/bash\necho \"{path.name} $*\" >> {log}\n{body}\n")
        path.chmod(0o755)

    stub(stubs / "python3", "mkdir -p .venv/bin\n"
         f"printf '#!/bin/bash\\necho \"pip $*\" >> {log}\\n' > .venv/bin/pip\n"
         f"printf '#!/bin/bash\\necho \"python $*\" >> {log}\\nexit {pytest_exit}\\n'"
         " > .venv/bin/python\nchmod +x .venv/bin/pip .venv/bin/python")
    stub(stubs / "apt-get", f"[ \"$1\" = install ] && [ {apt_exit} = 0 ] && "
         f"printf '#!/bin/bash\\n' > {stubs}/dot && chmod +x {stubs}/dot\nexit {apt_exit}")
    stub(stubs / "npm", "")
    stub(stubs / "vim", "")
    if dot:
        stub(stubs / "dot", "")
    proc = subprocess.run(["/bin/bash", str(clone / ".ci" / "run")], capture_output=True,
                          text=True, env={"PATH": str(stubs), "HOME": str(tmp_path)},
                          cwd=tmp_path)
    calls = log.read_text().splitlines() if log.exists() else []
    return proc, calls, os.path.exists(stubs / "dot")


def test_ci_installs_graphviz_then_runs_the_tests(tmp_path):
    proc, calls, has_dot = _run_ci_with_stubs(tmp_path, dot=False)
    assert proc.returncode == 0, proc.stderr
    assert calls[:2] == ["apt-get update -qq", "apt-get install -y -qq graphviz"], calls
    assert has_dot
    assert calls[-2:] == ["npm ci --no-audit --no-fund --ignore-scripts",
                          "python -m pytest -q -n 2"], calls


def test_ci_leaves_an_installed_graphviz_alone(tmp_path):
    proc, calls, _ = _run_ci_with_stubs(tmp_path, dot=True)
    assert proc.returncode == 0, proc.stderr
    assert not [c for c in calls if c.startswith("apt-get")], calls


def test_ci_fails_when_graphviz_cannot_be_installed(tmp_path):
    proc, calls, _ = _run_ci_with_stubs(tmp_path, dot=False, apt_exit=100)
    assert proc.returncode == 1 and "Graphviz" in proc.stderr, (proc.returncode, proc.stderr)
    assert not [c for c in calls if c.startswith("python -m pytest")], calls


@pytest.mark.parametrize("code", [1, 5])
def test_ci_fails_when_pytest_fails_or_collects_nothing(tmp_path, code):
    """pytest exits 5 when it collects no test: CI must fail then too."""
    proc, calls, _ = _run_ci_with_stubs(tmp_path, dot=True, pytest_exit=code)
    assert calls[-1] == "python -m pytest -q -n 2", calls
    assert proc.returncode == code, (proc.returncode, proc.stderr)
