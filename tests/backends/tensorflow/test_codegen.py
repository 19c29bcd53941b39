"""The TensorFlow backend's code generation, without TensorFlow: golden files, safety, CLI.

Golden files: tests/golden/codegen/NAME.py is what ``slimc compile`` makes of NAME's .slim
source; ``pytest --update-golden`` rewrites them (review the diff like code). Every generated
module is parsed with ``ast`` and checked with ruff under the project's settings.
"""

from __future__ import annotations

import ast
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from oracles.backend import RUFF

from slimdsl import cli
from slimdsl.api import check_file, compile_source
from slimdsl.backends.tensorflow.codegen import class_names, generate
from slimdsl.diagnostics import CompileError

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "golden" / "codegen"

#: golden name -> .slim source, relative to the repository root.
CASES = {
    "vgg_16": "models/vgg_16.slim",
    "showcase": "tests/golden/codegen/showcase.slim",
    "showcase_video": "tests/golden/codegen/showcase_video.slim",
    "ops_showcase": "tests/golden/codegen/ops_showcase.slim",
    **{name: f"models/{name}.slim" for name in ("lenet", "alexnet_v2")
       if (ROOT / "models" / f"{name}.slim").exists()},
}


def _generate(rel: str) -> str:
    result = check_file(str(ROOT / rel))
    assert result.ok, [d.message for d in result.diagnostics]
    stem = Path(rel).stem
    return generate(result.graphs, rel, command=f"slimc {rel} -o {stem}.py")


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name, update_golden):
    code = _generate(CASES[name])
    ast.parse(code)
    path = GOLDEN / f"{name}.py"
    if update_golden:
        path.write_text(code)
    if not path.exists() and name not in ("vgg_16", "showcase", "showcase_video",
                                          "ops_showcase"):
        pytest.skip(f"no golden file yet for {CASES[name]}: pytest --update-golden creates it")
    assert path.exists(), f"run pytest --update-golden to create {path}"
    assert code == path.read_text(), f"{path} is out of date (pytest --update-golden)"


def test_golden_files_are_ruff_clean():
    files = sorted(str(p) for p in GOLDEN.glob("*.py"))
    proc = subprocess.run([str(RUFF), "check", "--no-cache", "--config",
                           str(ROOT / "pyproject.toml"), *files], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_generated_module_imports_only_tensorflow():
    tree = ast.parse(_generate("tests/golden/codegen/showcase.slim"))
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [a.name for n in imports for a in n.names] == ["tensorflow"]
    assert all(isinstance(n, (ast.Expr, ast.Import, ast.Assign, ast.FunctionDef, ast.ClassDef))
               for n in tree.body)
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in (
        "eval", "exec", "__import__", "open", "compile")]


def _source(body: str, params: str = "", extra: str = "") -> str:
    return f"model m({params}) {{\n  input x: [?, 8, 8, 3]\n{body}\n}}\n{extra}"


def test_only_snippets_in_use_are_written():
    code = generate(compile_source(_source("  max_pool2d(2)")), "m.slim")
    assert "class _Conv2D" not in code and "_BatchNorm" not in code and "_dropout" not in code
    assert "tf.nn.max_pool2d(x, 2, 2, \"VALID\")" in code
    code = generate(compile_source(_source("  conv2d(4, 3, normalizer_fn=batch_norm)")), "m.slim")
    assert "class _BatchNorm" in code and "class _Conv2D" in code and "class _Layer" in code
    assert "class _FullyConnected" not in code and "def _check_compiled" not in code


HOSTILE = [
    'end_point "a\\"b\\\\c\\n\'\'\'\\"\\"\\")\\nimport os#"',
    'conv2d(4, 1) as "x.y-z"\n  end_point "tab\\there\u2028line\u00e9"',
]


@pytest.mark.parametrize("body", HOSTILE)
def test_slim_text_cannot_inject_python(body):
    source = _source(f"  conv2d(4, 1) as c\n  {body}", params="unused: int = 1")
    graph = compile_source(source)
    evil_path = 'x"""\nimport os\n\\.slim'
    code = generate(graph, evil_path, command=f"slimc {evil_path}")
    tree = ast.parse(code)
    imports = [a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
               for a in n.names]
    assert imports == ["tensorflow"]
    assert all(isinstance(n, (ast.Expr, ast.Import, ast.Assign, ast.FunctionDef, ast.ClassDef))
               for n in tree.body)
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    for key in graph.end_points:
        assert key in strings  # the key survives as data, exactly
    assert evil_path in ast.get_docstring(tree)
    assert next(n for n in tree.body if isinstance(n, ast.Assign)).value.value == evil_path


@pytest.mark.parametrize("name", ["tf", "device", "self", "super", "_Conv2D", "variables",
                                  "name", "__x"])
def test_parameter_names_the_generated_code_needs_are_refused(name):
    graph = compile_source(_source("  conv2d(4, 1)", params=f"{name}: int = 1"))
    with pytest.raises(CompileError) as info:
        generate(graph, "m.slim")
    assert f"parameter '{name}'" in info.value.diagnostics[0].message
    assert info.value.diagnostics[0].code == "redefined"


@pytest.mark.parametrize("name", ["training", "end_points", "net", "tf"])
def test_input_names_the_generated_code_needs_are_refused(name):
    graph = compile_source(f"model m {{\n  input {name}: [?, 4]\n  fully_connected(2)\n}}\n")
    with pytest.raises(CompileError, match=f"input '{name}'"):
        generate(graph, "m.slim")


def test_python_keywords_as_names_are_refused():
    graph = compile_source(_source("  conv2d(4, 1)", params="lambda: int = 1"))
    with pytest.raises(CompileError, match="parameter 'lambda'"):
        generate(graph, "m.slim")


def test_non_finite_numbers_are_refused():
    from slimdsl.values import Initializer

    graph = compile_source(_source("  conv2d(4, 1, weights_initializer=constant(1.0))"))
    for value in (float("inf"), float("nan")):  # the parser refuses them; defend in depth
        graph.nodes[0].args["weights_initializer"] = Initializer("constant", (("value", value),))
        with pytest.raises(CompileError, match="cannot be written"):
            generate(graph, "m.slim")


def test_plain_parameters_stay_parameters_and_structural_ones_are_checked():
    source = _source("  conv2d(n, 1) as a\n  conv2d(8, 1) as b\n  dropout(keep)\n"
                     "  conv2d(k, 1) as c\n  flatten()\n  fully_connected(n)",
                     params="n: int = 5, keep: float = 0.5, k: int = 3")
    code = generate(compile_source(source), "m.slim")
    assert '_Conv2D("m/a", [1, 1, 3, n])' in code  # n sizes variables: read at run time
    assert '_Conv2D("m/b", [1, 1, n, 8])' in code
    assert "_dropout(net, self.keep, training)" in code
    # k reaches flatten (8 * 8 * k): not expressible, so fixed at compile time
    assert '_check_compiled("m", "k", k, 3)' in code
    assert '_check_compiled("m", "n"' not in code and '_check_compiled("m", "keep"' not in code
    assert "tf.reshape(net, [-1, 192])" in code


def test_end_point_order_follows_tf_slim():
    source = _source("  conv2d(4, 1) as a\n  end_point \"first\"\n  conv2d(4, 1) as b\n"
                     "  end_point \"second\"\n  y = conv2d(4, 1) as c\n"
                     "  end_point \"first\" = y")
    graph = compile_source(source)
    code = generate(graph, "m.slim")
    assert list(graph.end_points) == ["first", "second"]
    assert 'end_points = {key: end_points[key] for key in ("first", "second")}' in code


def test_long_names_stay_ruff_clean(tmp_path):
    from oracles.backend import ruff_problems

    long = "s" * 70
    body = (f'  scope "{long}" {{\n    x = conv2d(4, 1, weights_regularizer=l1_l2(0.1, 0.2)) as'
            f' "{long}_conv"\n    y = conv2d(4, 1) as "{long}_b"\n    add(x, y) as "{long}_add"\n'
            f'    end_point "{long * 2}"\n  }}')
    params = ", ".join(f"p{i}_{'q' * 20}: int = {i}" for i in range(6))
    code = generate(compile_source(_source(body, params=params)), "d/" * 60 + "m.slim",
                    command="slimc " + "d/" * 60 + "m.slim -o " + "o" * 120 + ".py")
    ast.parse(code)
    assert ruff_problems(code, tmp_path) == ""


def test_class_names():
    graphs = [compile_source(_source("  conv2d(4, 1)").replace("model m", f"model {n}"))
              for n in ("vgg_16", "resnet_v1_50", "tf")]
    assert class_names(graphs) == ["Vgg16", "ResnetV1_50", "Tf"]


# ---------------------------------------------------------------------------- slimc compile


def _slimc(*args: str) -> int:
    return cli.main(list(args))


def test_compile_writes_the_module_atomically_keeping_the_mode(tmp_path, capsys):
    out = tmp_path / "vgg.py"
    out.write_text("old")
    os.chmod(out, 0o640)
    assert _slimc(str(ROOT / "models/vgg_16.slim"), "-o", str(out)) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    code = out.read_text()
    assert "class Vgg16(tf.Module):" in code and str(out) in code.split('"""')[1]
    assert [p.name for p in tmp_path.iterdir()] == ["vgg.py"]  # no temporary file left


def test_failed_compile_leaves_the_output_untouched(tmp_path, capsys):
    bad = tmp_path / "bad.slim"
    bad.write_text(_source("  conv2d(4, 99, padding=\"VALID\")"))
    out = tmp_path / "out.py"
    out.write_bytes(b"precious\x00bytes")
    assert _slimc("compile", str(bad), "-o", str(out)) == 1
    assert out.read_bytes() == b"precious\x00bytes"
    assert "error" in capsys.readouterr().err


def test_compile_refuses_to_overwrite_its_input(tmp_path, capsys):
    src = tmp_path / "m.slim"
    src.write_text(_source("  conv2d(4, 1)"))
    before = src.read_bytes()
    link = tmp_path / "link.py"
    link.symlink_to(src)
    for target in (src, link):
        assert _slimc(str(src), "-o", str(target)) == 2
        assert src.read_bytes() == before
    assert "refusing to overwrite the input" in capsys.readouterr().err


def test_compile_to_stdout_with_defines_and_model(tmp_path, capsys):
    src = tmp_path / "two.slim"
    src.write_text(_source("  conv2d(n, 1)", params="n: int = 4",
                           extra="model other {\n  input y: [?, 2]\n  fully_connected(3)\n}\n"))
    assert _slimc("compile", str(src)) == 0
    code = capsys.readouterr().out
    assert "class M(tf.Module):" in code and "class Other(tf.Module):" in code
    assert _slimc("compile", str(src), "-D", "n=7", "--model", "m") == 0
    code = capsys.readouterr().out
    assert "def __init__(self, n=7, device=None):" in code and "-D n=7" in code
    assert _slimc("compile", str(src), "--model", "other") == 0
    code = capsys.readouterr().out
    assert "class Other(tf.Module):" in code and "class M(" not in code


def test_compile_without_tensorflow(tmp_path):
    out = tmp_path / "vgg.py"
    code = ("import sys, slimdsl.cli as c; rc = c.main(['compile', sys.argv[1], '-o', "
            "sys.argv[2]]); assert 'tensorflow' not in sys.modules, 'TF imported'; "
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT / "models/vgg_16.slim"),
                           str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.exists()
