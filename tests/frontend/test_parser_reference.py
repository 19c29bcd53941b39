"""The front end's own lexer and LALR loop against Lark's parser on the same grammar.

``parse`` (frontend/lexer.py + lalr.py over Lark's tables) must give exactly what Lark's parser
gives with ``propagate_positions`` (tests/oracles/lark_reference.py, the same node builder):
the same trees, every node's span, and the same syntax errors (position, message, the terminals
Lark says it expected), on the zoo, the golden files, hand-picked edge cases of the lexer and
post-lexer, and generated hostile inputs. The trees of the zoo are also pinned by hash
(``tests/golden/frontend/trees.sha256``), so a change of the builder shows too.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from oracles.lark_reference import reference_parse

from slimdsl.diagnostics import CompileError
from slimdsl.frontend import grammar as grammar_module
from slimdsl.frontend import tables as tables_module
from slimdsl.frontend.lexer import KEYWORDS, MAX_NESTING
from slimdsl.frontend.parser import parse

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
import fuzz_text  # noqa: E402 - the fuzz inputs' generators live beside the fuzz tests

SEEDS = sorted(ROOT.glob("models/*.slim")) + sorted(ROOT.glob("tests/golden/**/*.slim"))
HASHES = ROOT / "tests" / "golden" / "frontend" / "trees.sha256"


def outcome(fn, text: str, path: str = "f.slim"):
    try:
        return "ok", fn(text, path)
    except CompileError as exc:
        return "error", tuple(exc.diagnostics)


def assert_same(text: str, what: str = "") -> str:
    ours, theirs = outcome(parse, text), outcome(reference_parse, text)
    assert ours == theirs, f"{what}\n{text[:400]!r}\nours:   {ours}\nLark's: {theirs}"
    return ours[0]


@pytest.mark.parametrize("path", SEEDS, ids=[p.stem for p in SEEDS])
def test_zoo_and_golden_files_parse_as_lark_parses_them(path):
    assert_same(path.read_text(encoding="utf-8-sig"), str(path))


EDGE_CASES = {
    "empty": "",
    "blank lines and comments only": "\n\n# c\n   # d\n\n",
    "no final newline": "model m {\n  input x: [?, 3]\n}",
    "CRLF": "model m {\r\n  input x: [?, 3]\r\n  relu()\r\n}\r\n",
    "lone CR": "model m {\r  input x: [?, 3]\r}\r",
    "tabs and form feeds": "model m {\n\tinput x: [?, 3]\f\n\trelu()\n}\n",
    "else on its own line": "model m {\n  input x: [?, 3]\n  if true {\n    relu()\n  }\n"
                            "\n  # c\n  elif false {\n  }\n  else {\n    relu()\n  }\n}\n",
    "newlines inside brackets": "model m {\n  input x: [\n ?,\n 3\n]\n  conv2d(\n8,\n [3,\n 3]\n"
                                ")\n}\n",
    "newline inside braces of a dict": "model m {\n  input x: [?, 3]\n  a = {k:\n 1}\n}\n",
    "parenthesised operands": "model m {\n  input x: [?, 3]\n  a = (1 + (2)) * (3)\n"
                              "  b = -(4)\n  c = ((net)).shape[(0)]\n  output y = (net)\n}\n",
    "conditional and comparisons": "def f(a, b,) = a if a < b and not b == 2 or a else b // 2 % 3"
                                   "\nmodel m {\n  input x: [?, 3]\n}\n",
    "keywords as names": "model m {\n  input model: [?, 3]\n}\n",
    "keyword prefixes are names": "model m {\n  input models: [?, 3]\n  iff = 1\n  nota = 2\n}\n",
    "chained comparison": "model m {\n  input x: [?, 3]\n  a = 1 < 2 < 3\n}\n",
    "not after an operator": "model m {\n  input x: [?, 3]\n  a = 1 + not 2\n}\n",
    "unexpected end inside a call": "model m {\n  input x: [?, 3]\n  conv2d(8,",
    "unexpected end of a block": "model m {\n  relu()\n",
    "bad character after a syntax error": "model m {\n  relu() relu()\n  a = 1 @ 2\n}\n",
    "bad character before a syntax error": "model m {\n  a = 1 @ 2\n  relu() relu()\n}\n",
    "bad character after a newline": "model m {\n  relu()\n@\n}\n",
    "unterminated string": "model m {\n  conv2d(8, padding=\"SAME)\n}\n",
    "non-ASCII name": "model mé {\n}\n",
    "bad escape then syntax error": "model m {\n  a = \"\\q\"\n  relu( \n}\n",
    "bad escape": "model m {\n  input x: [?, 3]\n  a = \"\\q\"\n}\n",
    "positional after keyword": "model m {\n  input x: [?, 3]\n  conv2d(8, k=3, 2)\n}\n",
    "huge integer": "model m {\n  input x: [?, 3]\n  a = " + "9" * 120 + "\n}\n",
    "Unicode digits": "model m {\n  input x: [?, \u0663]\n}\n",
    "nesting at the limit": "model m {\n  a = " + "(" * (MAX_NESTING - 1) + "1"
                            + ")" * (MAX_NESTING - 1) + "\n}\n",
    "nesting over the limit": "model m {\n  a = " + "(" * MAX_NESTING + "1" + ")" * MAX_NESTING
                              + "\n}\n",
    "nesting over the limit after an error": "model m {\n  ) " + "[" * 70 + "\n}\n",
    "nesting over the limit after a newline": "model m {\n  a = 1\n" + "{" * 70 + "\n}\n",
    "Python booleans": "model m {\n  a = True\n}\n",
    "scope keyword argument": "model m {\n  conv2d(8, 3, scope=\"c\")\n}\n",
    "every statement": (ROOT / "tests" / "golden" / "codegen" / "showcase.slim").read_text(),
    "dicts spanning lines": "model m(p: dict = {\n  a: 1,\n  b: {c:\n 2},\n}) {\n"
                            "  q = [{\n a: 1}, 2 + {b:\n 3}]\n  if p == {a: 1} {\n  }\n}\n",
    "a body's brace is not a dict": "model m {\n  scope s {\n relu()\n  }\n  for i in [1] {\n"
                                    "  }\n  if a\n  {\n  }\n}\n",
    "powers, slices and ellipsis": "model m {\n  a = -2 ** 3 ** 2\n  b = x[1:, ::-1, ..., none]"
                                   "\n  c = x[...][:]\n  d = x[0,][a:b:c]\n}\n",
    "as clauses of models and blocks": "model m as none {\n}\nmodel n = m() as \"A/B\"\n"
                                       "block b(k: int) as S {\n}\n",
    "interpolated names": "model m {\n  scope \"u{i + 1}\" { relu() as \"r{2 ** i}_{{x}}\" }\n"
                          "  end_point \"e{(i}\"\n}\n",
}


@pytest.mark.parametrize("name", EDGE_CASES)
def test_edge_cases_of_lexer_and_post_lexer_parse_as_lark_parses_them(name):
    assert_same(EDGE_CASES[name], name)


def _generated(seeds: range) -> dict[str, int]:
    corpus = fuzz_text.seed_files()
    weights = [1.0] * len(corpus)  # every seed file alike (the checking cost is not paid)
    counts = {"ok": 0, "error": 0}
    for seed in seeds:
        how, data = fuzz_text.generate_weighted(seed, corpus, weights)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        counts[assert_same(text, f"input {seed}: {how}")] += 1
    return counts


def test_generated_inputs_parse_as_lark_parses_them():
    counts = _generated(range(150))
    assert counts["ok"] >= 10 and counts["error"] >= 50, counts


@pytest.mark.slow
def test_many_generated_inputs_parse_as_lark_parses_them():
    counts = _generated(range(150, 5150))
    assert counts["ok"] >= 300 and counts["error"] >= 2000, counts


def tree_hashes() -> dict[str, str]:
    out = {}
    for path in sorted(ROOT.glob("models/*.slim")):
        tree = parse(path.read_text(encoding="utf-8"), path.name)
        out[path.name] = hashlib.sha256(repr(tree).encode()).hexdigest()
    return out


def test_zoo_trees_are_pinned(update_golden):
    text = "".join(f"{digest}  {name}\n" for name, digest in tree_hashes().items())
    if update_golden:
        HASHES.parent.mkdir(parents=True, exist_ok=True)
        HASHES.write_text(text)
    assert HASHES.exists(), "missing golden file: run pytest --update-golden"
    assert text == HASHES.read_text(), "a zoo file parses to a different tree (or spans)"


def test_keywords_are_the_grammars_reserved_words():
    assert set(KEYWORDS) == set(tables_module.tables().keywords["NAME"])


def test_corrupt_or_foreign_tables_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    source = (ROOT / "models" / "lenet.slim").read_text()
    expected = parse(source, "lenet.slim")
    path = tables_module.cache_file("file", tables_module.grammar_path().read_bytes())
    tables_module.load_tables("file", grammar_module.grammar)
    for junk in (b"", b"\x00garbage", b"\xfa" * 100):
        Path(path).write_bytes(junk)
        fresh = tables_module.load_tables("file", grammar_module.grammar)
        assert fresh.actions == tables_module.tables().actions
        assert Path(path).read_bytes() != junk  # rewritten
    assert parse(source, "lenet.slim") == expected
def test_check_does_not_import_lark_once_the_tables_are_cached(tmp_path):
    import subprocess

    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    probe = ("import sys\nfrom slimdsl.cli import main\ncode = main(['check', sys.argv[1]])\n"
             "print('LARK=' + str('lark' in sys.modules))\nsys.exit(code)\n")
    runs = [subprocess.run([sys.executable, "-c", probe, "models/vgg_16.slim"], cwd=ROOT,
                           env=env, capture_output=True, text=True, timeout=120)
            for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    assert "LARK=True" in runs[0].stdout  # the first run analyses the grammar with Lark
    assert "LARK=False" in runs[1].stdout, runs[1].stdout


STATEMENT_RUNS = [
    "relu()\n\nconv2d(8, [3, 3]) as c  # note\nx = net\n",
    "  if a > 1 {\n    relu()\n  }\n  else {\n  }\n  for i in range(2) { relu() }",
    "concat(axis=3) {\n  Branch_0 { relu() }\n  { relu() }\n}\noutput y = net",
    "relu() relu()",  # (Lark's lexer for `stmts` knows no `model`, `block`, `import`: the
    "}",              # front end lexes a run with the whole grammar's terminals, as in a file)
    "",
]


@pytest.mark.parametrize("text", STATEMENT_RUNS)
def test_the_stmts_start_parses_as_lark_parses_it(text):
    from slimdsl.diagnostics import Diagnostics
    from slimdsl.frontend.builder import AstBuilder
    from slimdsl.frontend.lalr import Parser
    from slimdsl.frontend.parser import front_end, run_parser
    from slimdsl.frontend.tables import start_tables

    def ours(text, path):
        diags = Diagnostics()
        tokens, error = front_end()[0].tokens(text)
        result = run_parser(Parser(start_tables("stmts")), tokens, error,
                            AstBuilder(path, diags), text, path, "stmts")
        if diags.has_errors:
            raise CompileError(diags.items)
        return result

    assert outcome(ours, text) == outcome(lambda t, p: reference_parse(t, p, "stmts"), text)


def test_the_loop_refuses_a_grammar_with_a_rule_that_matches_nothing_inside_another():
    from lark import Lark

    from slimdsl.frontend.lalr import Parser
    from slimdsl.frontend.tables import Tables, extract

    lark = Lark('start: a "x"\na: "y" |\n', parser="lalr", lexer="basic")
    with pytest.raises(ValueError, match="can be empty"):
        Parser(Tables(extract(lark)))
