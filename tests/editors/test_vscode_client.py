"""The VS Code extension's language client: its node tests (activation, settings, restart,
errors, with a fake ``vscode`` module: VS Code itself cannot run here) and the packaged
``.vsix``'s contents. ``.ci/run`` installs the npm packages (``npm ci`` in editors/vscode);
elsewhere the first test run installs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VSCODE = ROOT / "editors" / "vscode"

pytestmark = pytest.mark.slow  # node and npm: a few seconds, more on a first install


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """editors/vscode/node_modules, installed from package-lock.json if missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if os.environ.get("CI"):
            pytest.fail("node and npm are needed for the VS Code extension's tests")
        pytest.skip("Node.js/npm not installed")
    modules = VSCODE / "node_modules"
    if not (modules / ".bin" / "vsce").exists() or \
            not (modules / "vscode-languageclient").is_dir():
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                           cwd=VSCODE, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"npm ci failed:\n{r.stderr[-3000:]}"
    return modules


def test_the_client_node_tests_pass(node_modules):
    r = subprocess.run(["node", "--test", "test/"], cwd=VSCODE, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "# fail 0" in r.stdout and "# pass 7" in r.stdout


def test_the_packaged_vsix_holds_the_client_its_dependency_and_the_grammar(node_modules,
                                                                           tmp_path):
    vsix = tmp_path / "slimdsl.vsix"
    r = subprocess.run([str(node_modules / ".bin" / "vsce"), "package", "--skip-license",
                        "--allow-missing-repository", "-o", str(vsix)], cwd=VSCODE,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    with zipfile.ZipFile(vsix) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("extension/package.json"))
        client = json.loads(z.read("extension/node_modules/vscode-languageclient/package.json"))
        assert z.read("extension/extension.js") == (VSCODE / "extension.js").read_bytes()
    assert {"extension.vsixmanifest", "extension/extension.js", "extension/readme.md",
            "extension/language-configuration.json",
            "extension/syntaxes/slimdsl.tmLanguage.json"} <= names
    assert manifest["main"] == "./extension.js"
    assert manifest["contributes"]["languages"][0]["id"] == "slimdsl"
    assert client["version"] == manifest["dependencies"]["vscode-languageclient"]
    assert "extension/node_modules/vscode-jsonrpc/package.json" in names
    # tests, development tools and the lock file stay out of the package
    assert not [n for n in names if n.startswith(("extension/test/", "extension/tests/",
                                                  "extension/node_modules/@vscode/vsce"))]
    assert "extension/package-lock.json" not in names
