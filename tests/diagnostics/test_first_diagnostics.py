"""The diagnostics a new user meets first (issue 11, "tried as new users would"), each pinned.

Items 1, 2, 4, 5, 6, 7 and 9 are golden cases in tests/golden/errors/ (layer_typo_with_scope,
shrink_chain_same_after_pool, unknown_names_no_cascade_suggestion, input_none_dimension,
scope_clash_block_in_loop, arg_scope_tf_slim_only_key, initializer_positional_order,
syntax_unclosed_inner_block, syntax_missing_comma). The others need a command or TensorFlow and
are tested here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from slimdsl import cli
from slimdsl.api import check_source

ROOT = Path(__file__).resolve().parents[2]


def _codes(text: str) -> list[str]:
    return [d.code for d in check_source(text, "m.slim").diagnostics]


@pytest.mark.parametrize("text, message", [
    ("model m {\n  input tf: [?, 8]\n  fully_connected(2)\n}\n", "input 'tf' of model 'm'"),
    ("model lambda {\n  input x: [?, 8]\n  fully_connected(2)\n}\n",
     "model name 'lambda' is not a Python identifier"),
    ("model m(device: int = 1) {\n  input x: [?, 8]\n  fully_connected(2)\n}\n",
     "parameter 'device' of model 'm'"),
])
def test_check_refuses_what_compile_refuses(tmp_path, capsys, text, message):
    """Item 3: `slimc check` accepted an input named tf and a model named lambda."""
    path = tmp_path / "m.slim"
    path.write_text(text)
    assert cli.main(["check", "--color", "never", str(path)]) == 1
    checked = capsys.readouterr().out
    assert message in checked and "[redefined]" in checked
    assert cli.main(["compile", str(path), "-o", str(tmp_path / "m.py")]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m.py").exists()


def test_a_lone_none_in_a_list_is_still_explained():
    """Item 4: outside an input shape, None still gets "write 'none'"."""
    result = check_source("model m {\n  input x: [?, 4]\n  a = None\n}\n", "m.slim")
    (d,) = result.diagnostics
    assert d.code == "unknown-name" and d.notes[0].message == "write 'none'"


def test_an_input_with_a_bad_dimension_does_not_cascade():
    """Item 4: a failed input poisons net: no "no input tensor" after it."""
    assert _codes("model m {\n  input x: [0, 4]\n  fully_connected(2)\n}\n") == ["bad-value"]


def test_explain_names_each_call_once(tmp_path, capsys):
    """Item 10: explain printed "expanded through the call" twice for a repeat of a block."""
    path = tmp_path / "m.slim"
    path.write_text("block unit(d: int) {\n  conv2d(d, 3) as conv\n}\n"
                    "model m {\n  input x: [?, 8, 8, 3]\n  repeat(2, unit, 4) as r\n}\n")
    assert cli.main(["explain", str(path), "r/r_1/conv"]) == 0
    out = capsys.readouterr().out
    assert out.count("expanded through the call") == 1, out
    assert f"expanded through the call at {path}:6" in out


def test_run_exit_codes_in_the_docs_are_the_code_s():
    """Item 10: docs/backend.md said a run-time shape mismatch exits 3; the code exits 2."""
    from slimdsl.cli import run
    text = (ROOT / "docs" / "backend.md").read_text()
    table = text[text.index("Exit codes:", text.index("slimc run")):]
    table = table[:table.index("\n\n", table.index("|"))]
    assert set(re.findall(r"^\| (\d) \|", table, re.M)) == {"0", "1", "2"}
    assert run.EXIT_INTERNAL == 2 and "exit 3" not in (run.__doc__ or "")


def test_compile_says_what_it_wrote(tmp_path, capsys):
    """Item 10: `slimc compile -o` printed nothing, not even the class it generated."""
    out = tmp_path / "vgg_16.py"
    assert cli.main(["compile", str(ROOT / "models" / "vgg_16.slim"), "-o", str(out)]) == 0
    assert capsys.readouterr().out == (f"wrote {out}: class Vgg16 (model vgg_16, "
                                       f"138,357,544 parameters, 32 variables)\n")
    assert cli.main(["compile", str(ROOT / "models" / "lenet.slim")]) == 0
    assert capsys.readouterr().out.startswith('"""')  # to stdout: the code only


def test_generated_module_checks_its_inputs(tf):
    """Item 8: a wrong size was accepted, a wrong rank failed deep inside a layer."""
    from oracles.backend import build_generated
    _, _, cls, _ = build_generated(
        "model tiny {\n  input x: [?, 6, 6, 3]\n  conv2d(4, 3) as conv\n  flatten()\n"
        "  fully_connected(2) as logits\n}\n", "tiny.slim")
    model = cls()
    assert model(tf.zeros([2, 6, 6, 3]))[0].shape == (2, 2)
    for shape in ([2, 7, 6, 3], [2, 6, 6], [2, 6, 6, 4]):
        with pytest.raises(ValueError, match=re.escape(
                "tiny: input 'x' must have the shape [?, 6, 6, 3] declared in the .slim "
                f"file, got ({', '.join(map(str, shape))})")):
            model(tf.zeros(shape))
