"""Packaging: the core runs without TensorFlow; a built wheel carries grammar/ and templates/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Run slimc with every TensorFlow import made impossible (a meta-path finder that refuses it).
_NO_TF = """
import sys
class _Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "tf_slim", "keras", "tf_keras", "numpy"):
            raise ImportError("import of " + name + " refused by the test")
        return None
sys.meta_path.insert(0, _Refuse())
from slimdsl.cli import main
code = main(sys.argv[1:])
assert not any(m.startswith("tensorflow") for m in sys.modules), "tensorflow was imported"
if sys.argv[1] in ("check", "summary"):  # the fast path loads no code generator
    assert "jinja2" not in sys.modules and "subprocess" not in sys.modules, "slow imports"
sys.exit(code)
"""


def _run_no_tf(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _NO_TF, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_check_runs_with_tensorflow_impossible_to_import():
    proc = _run_no_tf("check", "models/")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout


def test_summary_runs_with_tensorflow_impossible_to_import():
    proc = _run_no_tf("summary", "models/vgg_16.slim", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    model = json.loads(proc.stdout)["models"][0]
    assert model["trainable_params"] == 138_357_544


def test_bad_input_exits_1_and_missing_path_exits_2_without_tensorflow(tmp_path):
    bad = tmp_path / "bad.slim"
    bad.write_text("model m {\n  input x: [?, 2, 2, 3]\n  conv2d(8, 3, padding=\"VALID\")\n}\n")
    proc = _run_no_tf("check", str(bad))
    assert proc.returncode == 1 and "floor((2-3)/1)+1 = 0" in proc.stdout
    proc = _run_no_tf("check", str(tmp_path / "missing.slim"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_python_dash_m_and_version():
    proc = subprocess.run([sys.executable, "-m", "slimdsl", "--version"], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("slimc ")


@pytest.mark.slow
def test_wheel_ships_grammar_and_templates_and_runs_without_tensorflow(tmp_path):
    """Build the wheel, install it in a fresh venv (no TensorFlow), run slimc outside the repo."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    wheel = next(dist.glob("slimdsl-*.whl"))
    import zipfile
    names = zipfile.ZipFile(wheel).namelist()
    assert "slimdsl/grammar/slim.lark" in names
    assert any(n.startswith("slimdsl/templates/") for n in names)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   capture_output=True, timeout=600)
    work = tmp_path / "work"
    shutil.copytree(ROOT / "models", work / "models")
    probe = subprocess.run(
        [str(py), "-c", "import slimdsl.resources as r, importlib.util as u; "
         "print(r.grammar_path()); print(r.templates_dir()); "
         "print(u.find_spec('tensorflow') is None)"],
        cwd=work, capture_output=True, text=True, check=True, timeout=120)
    grammar, templates, no_tf = probe.stdout.split()
    site = str(env_dir)
    assert grammar.startswith(site) and templates.startswith(site) and no_tf == "True"
    proc = subprocess.run([str(env_dir / "bin" / "slimc"), "check", "models"], cwd=work,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert os.path.isdir(work / "models")


def _extras() -> tuple[list[str], dict[str, list[str]]]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the CI runs 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"], project["optional-dependencies"]


def _names(requirements: list[str]) -> set[str]:
    import re

    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_export_packages_are_an_optional_extra_that_the_test_install_includes():
    """`pip install slimdsl[export]` brings the converters; the core does not; and the test
    extra (what .ci/run installs) has every package of the export and netron extras, so the
    export tests run them in CI instead of skipping."""
    core, extras = _extras()
    export = _names(extras["export"]) - {"slimdsl"}
    assert {"tf2onnx", "onnx", "onnxruntime"} <= export
    assert not (export | {"tensorflow"}) & _names(core)
    assert "slimdsl[tf]" in extras["export"] and "slimdsl[export]" in extras["netron"]
    wanted = export | _names(extras["netron"]) - {"slimdsl"}
    assert wanted <= _names(extras["test"]), wanted - _names(extras["test"])
    assert "'.[tf,test]'" in (ROOT / ".ci" / "run").read_text()
