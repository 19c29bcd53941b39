"""The slimc command line: exit codes, stdin, folders, JSON shapes (no TensorFlow needed)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from slimdsl.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOOD = "model m {\n  input x: [?, 8, 8, 3]\n  conv2d(4, 3) as c\n}\n"
BAD = "model m {\n  input x: [?, 2, 2, 3]\n  conv2d(4, 3, padding=\"VALID\") as c\n}\n"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors and --version
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_exit_codes(tmp_path):
    (tmp_path / "good.slim").write_text(GOOD)
    (tmp_path / "bad.slim").write_text(BAD)
    assert run("check", str(tmp_path / "good.slim"))[0] == 0
    assert run("check", str(tmp_path / "bad.slim"))[0] == 1
    assert run("check", str(tmp_path / "nope.slim"))[0] == 2
    assert run("check")[0] == 2  # usage
    assert run("frobnicate")[0] == 2
    assert run("summary", str(tmp_path / "bad.slim"))[0] == 1


def test_folder_is_searched_recursively_and_every_file_reported(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b").mkdir()
    (tmp_path / "a" / "good.slim").write_text(GOOD)
    (tmp_path / "a" / "b" / "bad.slim").write_text(BAD)
    (tmp_path / "a" / "notes.txt").write_text("not a model")
    code, out, _ = run("check", "--format", "json", str(tmp_path))
    files = json.loads(out)["files"]
    assert code == 1
    assert sorted(Path(f["path"]).name for f in files) == ["bad.slim", "good.slim"]
    bad = next(f for f in files if f["path"].endswith("bad.slim"))
    d = bad["diagnostics"][0]
    assert set(d) >= {"severity", "code", "message", "line", "column", "end_line", "end_column"}
    assert (d["severity"], d["code"], d["line"], d["column"]) == ("error", "shape", 3, 3)


def test_a_directory_given_as_a_file_and_an_empty_folder(tmp_path):
    assert run("summary", str(tmp_path))[0] == 2
    code, _, err = run("check", str(tmp_path))
    assert code == 2 and "no .slim files" in err


def test_stdin():
    proc = subprocess.run([sys.executable, "-m", "slimdsl", "check", "-"], input=BAD,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stdout.startswith("<stdin>:3:3: error:")


def test_summary_json_keys_and_define_override():
    code, out, _ = run("summary", str(ROOT / "models" / "vgg_16.slim"), "--format", "json",
                       "-D", "num_classes=10")
    assert code == 0
    model = json.loads(out)["models"][0]
    assert set(model) >= {"name", "inputs", "layers", "outputs", "variables", "trainable_params",
                          "total_params", "flops"}
    assert model["inputs"][0] == {"name": "inputs", "shape": [None, 224, 224, 3],
                                  "dtype": "float32"}
    layer = model["layers"][0]
    assert set(layer) >= {"name", "op", "output_shape", "params", "line"}
    assert layer["name"] == "vgg_16/conv1/conv1_1" and layer["op"] == "conv2d"
    assert model["outputs"][0]["shape"] == [None, 10]
    assert model["variables"][-1] == {"name": "vgg_16/fc8/biases", "shape": [10],
                                      "trainable": True}


def test_summary_text_has_table_totals_and_variables():
    code, out, _ = run("summary", str(ROOT / "models" / "vgg_16.slim"))
    assert code == 0
    assert "vgg_16/conv5/conv5_3" in out and "Trainable params: 138,357,544" in out
    assert "vgg_16/fc8/weights" in out and "[1, 1, 4096, 1000]" in out


def test_text_output_has_location_caret_and_no_traceback(tmp_path):
    (tmp_path / "bad.slim").write_text(BAD)
    code, out, err = run("check", "--color", "never", str(tmp_path / "bad.slim"))
    lines = out.splitlines()
    assert lines[0].endswith("floor((2-3)/1)+1 = 0 [shape]")
    assert lines[2].strip().startswith("^~~~")
    assert "Traceback" not in out + err


@pytest.mark.parametrize("flag", ["--version"])
def test_version(flag):
    code, out, _ = run(flag)
    assert code == 0 and out.startswith("slimc ")
