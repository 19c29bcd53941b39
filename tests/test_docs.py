"""Docs that are generated from the registry and the diagnostic codes must not drift."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import gen_docs  # noqa: E402

from slimdsl.diagnostics import CODES  # noqa: E402
from slimdsl.layers import LAYERS  # noqa: E402


def test_layer_reference_is_generated_from_the_registry():
    assert (ROOT / "docs" / "layers.md").read_text() == gen_docs.layers_markdown() + "\n", \
        "run: python scripts/gen_docs.py"


def test_error_docs_cover_every_code():
    text = (ROOT / "docs" / "errors.md").read_text()
    assert text == gen_docs.errors_markdown() + "\n", "run: python scripts/gen_docs.py"
    documented = set(re.findall(r"^## `([a-z-]+)`", text, re.M))
    assert documented == set(CODES)


def test_language_doc_mentions_every_layer():
    text = (ROOT / "docs" / "language.md").read_text()
    missing = [k for k in LAYERS if f"`{k}`" not in text]
    assert not missing, f"docs/language.md does not mention {missing}"


def test_project_sources_are_ruff_clean():
    """The project holds itself to the rules it holds generated code to (pyproject's ruff)."""
    root = Path(__file__).resolve().parent.parent
    ruff = Path(sys.executable).with_name("ruff")
    ruff = str(ruff) if ruff.exists() else shutil.which("ruff")
    assert ruff, "ruff is in the [test] extra"
    proc = subprocess.run([ruff, "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
