"""CI runs what the README says, and the default run leaves nothing out."""

from __future__ import annotations

import re
from pathlib import Path

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


def test_the_default_run_deselects_nothing():
    text = (ROOT / "pyproject.toml").read_text()
    addopts = re.search(r'^addopts = "(.*)"$', text, re.M).group(1)
    assert " -m " not in f" {addopts} ", f"addopts deselects tests: {addopts}"
    assert "--strict-markers" in addopts
    test_extra = text[text.index("test = ["):text.index("]", text.index("test = ["))]
    assert '"pytest-xdist' in test_extra


def test_the_readme_says_how_long_each_command_takes():
    text = (ROOT / "README.md").read_text()
    table = text[text.index("How long each command takes"):text.index("## Commands")]
    rows = [r for r in table.splitlines() if r.startswith("| `")]
    assert len(rows) >= 4 and all(re.search(r"\d+ (s|min)", r) for r in rows), rows
