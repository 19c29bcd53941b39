"""``slimc fmt``: canonical layout, comments kept, idempotent, and the IR never changes."""

from __future__ import annotations

import functools
import io
import random
import subprocess
import sys
from pathlib import Path

import pytest
from lark import Lark

from slimdsl.api import check_source
from slimdsl.cli import main
from slimdsl.diagnostics import CompileError
from slimdsl.frontend.formatter import LINE_LENGTH, format_source
from slimdsl.frontend.grammar import full_parser, grammar
from slimdsl.resources import grammar_path
from slimdsl.tools.summary import summary_dict

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "models").glob("*.slim"))
GOLDEN = sorted((ROOT / "tests" / "golden").glob("**/*.slim"))


def _parses(path: Path) -> bool:
    try:
        format_source(path.read_text(encoding="utf-8"), str(path))
    except (CompileError, UnicodeDecodeError):
        return False
    return True


INPUTS = [p for p in MODELS + GOLDEN if _parses(p)]
#: The zoo (big files) runs in the full suite; the small golden inputs in the quick one too.
INPUT_PARAMS = [pytest.param(p, marks=pytest.mark.slow) if p in MODELS else p for p in INPUTS]


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def _strip_lines(value):
    """summary_dict without source positions (formatting may move statements)."""
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "line"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _meaning(text: str, path: Path):
    result = check_source(text, str(path))
    return ([_strip_lines(summary_dict(g)) for g in result.graphs],
            [(d.severity, d.code, d.message) for d in result.diagnostics])


def test_inputs_found():
    assert MODELS, "models/ has no .slim files"
    assert len(INPUTS) >= len(MODELS)


@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_models_are_fixed_points(path: Path):
    text = path.read_text(encoding="utf-8")
    assert format_source(text, str(path)) == text, f"run: slimc fmt {path.relative_to(ROOT)}"


@pytest.mark.parametrize("path", INPUT_PARAMS, ids=_ids(INPUTS))
def test_idempotent_and_ir_preserved(path: Path):
    text = path.read_text(encoding="utf-8")
    once = format_source(text, str(path))
    assert format_source(once, str(path)) == once
    assert _meaning(once, path) == _meaning(text, path)
    assert _comments(once) == _comments(text)


def _comments(text: str) -> list[str]:
    return [str(t).rstrip() for t in grammar().lex(text, dont_ignore=True) if t.type == "COMMENT"]


MESSY = """\
# header comment

import "common.slim"   # trailing on import
import 'other.slim'



block unit(depth:int,stride:int=1,   # after stride
   rate: int = 1,) {  # after brace
  x=conv2d(net,depth,[1,1],stride=stride,activation_fn=none) as shortcut
  conv2d( depth ,3 , rate = rate ,
     # own line inside call
     padding = "SAME"   # trailing inside call
  )
  add( x )
  def f(a)=a+1


}
model m(n: int = 3, flags: dict = {a: 1, b: [1, 2]}, t: any = (1,), u: any = (1, 2,)) {
  input inputs : [ ?,224,224,3 ] float32
  arg_scope([conv2d],activation_fn=relu,weights_initializer=truncated_normal(0.01, mean=-0.5),\
normalizer_params={decay: 0.9}) {
    for i in range(1,n+1){ conv2d(2*i+1,3) as "c{i}" }
    if n>2 and not n==4 { conv2d(8, 1) } elif n == 1 {
      conv2d(9, 1)
    }
    # before else
    else {
      conv2d(10, -1 * -2 // 1 % 3 - (4) if n < 3 else 5)
    }  # after else close
    concat(axis=3) as Mixed {  # branches
      Branch_0 {
        conv2d(64, [1, 1]) as Conv2d_0a_1x1 }
      Branch_1 { conv2d(64, [1, 1], weights_initializer=truncated_normal(0.01), padding="SAME") \
as Conv }
      {
        conv2d(32, 1)  # anon
      }
    }
    scope "unit_{n}" { conv2d(1, 1) }
    assert net.shape[1] == inputs.shape[1] / 2 or net.shape != [?, 1]
    y = add(net, net) as plus
    z=net[:,1 :, ::2 , ...,none][0]**2 - -y [ 1:-1 ]
    d = {a: 1,   # in dict
         b: 2}
    end_point
    end_point "{scope}/x{ n*2 }" = y
    output named = y
  }
}
block helper( ) as none { relu() }
model alias_m = m(n=4, flags={a: 2}) as  none # alias
model alias_long = m(n=4, flags={a: 2}, t=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, \
16, 17, 18, 19))
def  depth( d ,e,) = max(int(d*2),8)
# end of file comment
"""

EXPECTED = """\
# header comment

import "common.slim"  # trailing on import
import 'other.slim'

block unit(
    depth: int,
    stride: int = 1,  # after stride
    rate: int = 1,
) {  # after brace
  x = conv2d(net, depth, [1, 1], stride=stride, activation_fn=none) as shortcut
  conv2d(
      depth,
      3,
      rate=rate,
      # own line inside call
      padding="SAME",  # trailing inside call
  )
  add(x)
  def f(a) = a + 1
}
model m(n: int = 3, flags: dict = {a: 1, b: [1, 2]}, t: any = (1,), u: any = (1, 2)) {
  input inputs: [?, 224, 224, 3] float32
  arg_scope(
      [conv2d], activation_fn=relu, weights_initializer=truncated_normal(0.01, mean=-0.5),
      normalizer_params={decay: 0.9}) {
    for i in range(1, n + 1) {
      conv2d(2 * i + 1, 3) as "c{i}"
    }
    if n > 2 and not n == 4 {
      conv2d(8, 1)
    } elif n == 1 {
      conv2d(9, 1)
    } else {
      # before else
      conv2d(10, -1 * -2 // 1 % 3 - (4) if n < 3 else 5)
    }  # after else close
    concat(axis=3) as Mixed {  # branches
      Branch_0 { conv2d(64, [1, 1]) as Conv2d_0a_1x1 }
      Branch_1 {
        conv2d(64, [1, 1], weights_initializer=truncated_normal(0.01), padding="SAME") as Conv
      }
      {
        conv2d(32, 1)  # anon
      }
    }
    scope "unit_{n}" {
      conv2d(1, 1)
    }
    assert net.shape[1] == inputs.shape[1] / 2 or net.shape != [?, 1]
    y = add(net, net) as plus
    z = net[:, 1:, ::2, ..., none][0] ** 2 - -y[1:-1]
    d = {
        a: 1,  # in dict
        b: 2,
    }
    end_point
    end_point "{scope}/x{ n*2 }" = y
    output named = y
  }
}
block helper() as none {
  relu()
}
model alias_m = m(n=4, flags={a: 2}) as none  # alias
model alias_long = m(
    n=4, flags={a: 2}, t=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19))
def depth(d, e) = max(int(d * 2), 8)
# end of file comment
"""


def test_messy_covers_every_grammar_rule():
    """A new grammar rule must get a case here (and in the formatter if it needs one)."""
    parser = full_parser()
    rules = {str(r.alias or r.origin.name) for r in parser.rules
             if not str(r.alias or r.origin.name).startswith("_")
             and (r.alias or not r.options.expand1)}
    seen = {str(t.data) for t in parser.parse(MESSY).iter_subtrees()}
    assert rules - seen == set()


def test_every_construct_canonical():
    assert format_source(MESSY) == EXPECTED
    assert format_source(EXPECTED) == EXPECTED
    assert _comments(EXPECTED) == _comments(MESSY)


@pytest.mark.parametrize("src, expected", [
    ("model m {}\n", "model m {}\n"),
    ("\n\n# only a comment\n\n\n", "# only a comment\n"),
    ("", ""),
    ("model m {\r\n  input x: [?, 3]\r\n}\r\n", "model m {\n  input x: [?, 3]\n}\n"),
    ("model m {\n\n\n  input x: [?,3]\n\n\n\n  output y = x\n\n}",
     "model m {\n  input x: [?, 3]\n\n  output y = x\n}\n"),
    ("model m { x = f(a=-1, b=not c, d=x.shape[-1]) }\n",
     "model m {\n  x = f(a=-1, b=not c, d=x.shape[-1])\n}\n"),
    ("model m {\n  x = f(  # c\n  1)\n}\n", "model m {\n  x = f(\n      # c\n      1,\n  )\n}\n"),
    ("model m {\n  x = [1,  # one\n  2]  # two\n}\n",
     "model m {\n  x = [\n      1,  # one\n      2,\n  ]  # two\n}\n"),
    ("model m {\n  arg_scope([conv2d]  # c\n  ) {\n  }\n}\n",
     "model m {\n  arg_scope(\n      [conv2d]  # c\n  ) {}\n}\n"),
    ("model m {\n  x = (1  # c\n  )\n}\n", "model m {\n  x = (\n      1  # c\n  )\n}\n"),
    ("model m {\n  f(g(1,  # in g\n  2), 3)\n}\n",
     "model m {\n  f(\n      g(\n          1,  # in g\n          2,\n      ),\n      3,\n  )\n}\n"),
])
def test_cases(src, expected):
    assert format_source(src) == expected
    assert format_source(expected) == expected


def test_long_lines_wrap_with_hanging_indent():
    args = ", ".join(f"a{i}=[{i}, {i}]" for i in range(30))
    out = format_source(f"model m {{\n  conv2d({args}) as c\n}}\n")
    lines = out.splitlines()
    assert lines[1] == "  conv2d("
    assert all(line.startswith("      a") for line in lines[2:-1])
    assert lines[-2].endswith(") as c")
    assert max(len(line) for line in lines) <= LINE_LENGTH
    assert format_source(out) == out


def test_syntax_error_is_a_compile_error():
    with pytest.raises(CompileError) as info:
        format_source("model m { conv2d(\n", "x.slim")
    assert info.value.diagnostics[0].code == "syntax"


@functools.lru_cache(maxsize=1)
def _raw_lexer() -> Lark:
    """The grammar's lexer without the post-lexer, so blank lines survive."""
    return Lark.open(str(grammar_path()), parser="lalr", lexer="basic")


def _perturb(text: str, rng: random.Random) -> str:
    """Same tokens, other whitespace: extra spaces anywhere, line breaks inside (...) / [...]."""
    out = []
    stack: list[str] = []
    toks = list(_raw_lexer().lex(text, dont_ignore=True))
    for t in toks:
        if t.type == "WS":
            choice = rng.choice([" ", "   ", "\n" if stack and stack[-1] in "([" else " "])
            out.append(choice)
            continue
        if t.type in ("LPAR", "LSQB", "LBRACE"):
            stack.append(str(t))
        elif t.type in ("RPAR", "RSQB", "RBRACE") and stack:
            stack.pop()
        if t.type in ("COMMA", "LPAR", "LSQB") and stack and stack[-1] in "([" \
                and rng.random() < 0.3:
            out.append(str(t) + "\n  ")
            continue
        out.append(str(t))
    return "".join(out)


@pytest.mark.slow
@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_one_canonical_layout(path: Path):
    """Any whitespace variant of a file formats to the same text."""
    canonical = format_source(path.read_text(encoding="utf-8"), str(path))
    rng = random.Random(path.name)
    for _ in range(3):
        assert format_source(_perturb(canonical, rng), str(path)) == canonical


def _slimc(capsys, monkeypatch, *args: str, stdin: str | None = None):
    """Run the slimc CLI in-process: (exit code, stdout, stderr)."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_check_and_write(tmp_path: Path, capsys, monkeypatch):
    bad = tmp_path / "m.slim"
    bad.write_text("model m {\n  input x: [?,3]\n    output y=x\n}\n")
    bad.chmod(0o640)
    code, out, err = _slimc(capsys, monkeypatch, "fmt", "--check", str(tmp_path))
    assert code == 1
    assert "+  input x: [?, 3]" in out and "-  input x: [?,3]" in out
    assert "would reformat" in err
    assert bad.read_text() == "model m {\n  input x: [?,3]\n    output y=x\n}\n"
    code, out, err = _slimc(capsys, monkeypatch, "fmt", str(bad))
    assert code == 0, err
    assert bad.read_text() == "model m {\n  input x: [?, 3]\n  output y = x\n}\n"
    assert bad.stat().st_mode & 0o777 == 0o640
    assert _slimc(capsys, monkeypatch, "fmt", "--check", str(bad))[:2] == (0, "")


def test_cli_write_through_a_symlink_keeps_the_link(tmp_path: Path, capsys, monkeypatch):
    """fmt rewrites the file a link points to (as compile -o does); the link stays a link."""
    real = tmp_path / "specs" / "m.slim"
    real.parent.mkdir()
    real.write_text("model m {\n  input x: [?,3]\n}\n")
    link = tmp_path / "m.slim"
    link.symlink_to(real)
    code, _, err = _slimc(capsys, monkeypatch, "fmt", str(link))
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text() == "model m {\n  input x: [?, 3]\n}\n"
    assert sorted(p.name for p in real.parent.iterdir()) == ["m.slim"]  # no temporary left


def test_cli_refuses_to_rewrite_a_stream():
    """fmt /dev/stdin: the formatted text would go into the pipe and be lost, or (redirected
    from a file) silently rewrite that file; `slimc fmt -` is the way to format a stream."""
    if not Path("/dev/stdin").exists():
        pytest.skip("no /dev/stdin on this system")
    r = subprocess.run([sys.executable, "-m", "slimdsl", "fmt", "/dev/stdin"],
                       input="model m {\n  input x: [?,3]\n}\n", capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "not a regular file" in r.stderr and "slimc fmt -" in r.stderr
    assert r.stdout == "" and "reformatted /dev/stdin" not in r.stderr
    assert "0 files reformatted" in r.stderr  # the refused file is not counted as done


def test_cli_stdin_syntax_error_and_missing(tmp_path: Path, capsys, monkeypatch):
    assert _slimc(capsys, monkeypatch, "fmt", "-", stdin="model m {input x: [?, 3]}")[:2] == \
        (0, "model m {\n  input x: [?, 3]\n}\n")
    code, _, err = _slimc(capsys, monkeypatch, "fmt", "-", stdin="model m { conv2d(\n")
    assert code == 1 and "[syntax]" in err and "Traceback" not in err
    code, _, err = _slimc(capsys, monkeypatch, "fmt", str(tmp_path / "nope.slim"))
    assert code == 2 and "no such file" in err


def test_cli_entry_point():
    """The installed command line, end to end (once)."""
    r = subprocess.run([sys.executable, "-m", "slimdsl", "fmt", "--check", "-"],
                       input="model m {\n}\n", capture_output=True, text=True)
    assert (r.returncode, r.stdout) == (1, "--- <stdin> (original)\n+++ <stdin> (formatted)\n"
                                        "@@ -1,2 +1 @@\n-model m {\n-}\n+model m {}\n")
