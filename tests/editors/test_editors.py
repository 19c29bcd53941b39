"""Editor support, tested headlessly: generated files, VS Code grammar, Vim, Pygments."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from slimdsl.editors.vocabulary import KEYWORD_CATEGORIES, grammar_keywords, word_lists
from slimdsl.layers import LAYER_NAMES, META_LAYERS
from slimdsl.lower.evaluate import BUILTIN_NAMES

ROOT = Path(__file__).resolve().parents[2]
EDITORS = ROOT / "editors"
VSCODE = EDITORS / "vscode"
MODELS = sorted((ROOT / "models").glob("*.slim"))
TMGRAMMAR_TEST = "vscode-tmgrammar-test@0.1.3"

RUBY_SLIM = """\
doctype html
html
  head
    title Slim template
  body
    h1 Markup examples
    p This is a Ruby Slim template, not a network.
"""


def _generate_module():
    spec = importlib.util.spec_from_file_location("editors_generate", EDITORS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------- generated lists


def test_committed_files_equal_generated_output():
    outputs = _generate_module().outputs()
    stale = [str(rel) for rel, text in outputs.items()
             if not (EDITORS / rel).exists() or (EDITORS / rel).read_text() != text]
    assert not stale, f"out of date: {stale}; run python editors/generate.py"


def test_word_lists_cover_grammar_and_registry():
    w = word_lists()
    assert set(w["layers"]) == set(LAYER_NAMES) | set(META_LAYERS)
    highlighted = set(w["constants"]) | set(w["layers"]) | set(w["builtins"])
    assert set(BUILTIN_NAMES) <= highlighted
    keywords = {k for c in ("declarations", "imports", "control", "logical", "statements")
                for k in w[c]}
    assert keywords == set(grammar_keywords())
    assert {"model", "block", "arg_scope", "scope", "end_point", "as", "elif"} <= keywords
    # every category name used for highlighting is a real keyword (no stale entries)
    for words in KEYWORD_CATEGORIES.values():
        assert set(words) & set(grammar_keywords()), words


def test_every_layer_in_every_editor_file():
    grammar = (VSCODE / "syntaxes" / "slimdsl.tmLanguage.json").read_text()
    layer_rule = json.loads(grammar)["repository"]["layer"]["match"]
    vim = (EDITORS / "vim" / "syntax" / "slimdsl.vim").read_text()
    vim_layers = {w for line in vim.splitlines() if line.startswith("syn keyword slimdslLayer")
                  for w in line.split()[3:]}
    for name in set(LAYER_NAMES) | set(META_LAYERS):
        assert f"|{name}|" in f"|{layer_rule[3:-3]}|", name
        assert name in vim_layers, name


# ---------------------------------------------------------------------------- VS Code


def test_vscode_manifest():
    package = json.loads((VSCODE / "package.json").read_text())
    [language] = package["contributes"]["languages"]
    assert language["id"] == "slimdsl"
    assert ".slim" in language["extensions"]
    [grammar] = package["contributes"]["grammars"]
    assert (grammar["language"], grammar["scopeName"]) == ("slimdsl", "source.slimdsl")
    assert (VSCODE / grammar["path"]).is_file()
    config = json.loads((VSCODE / language["configuration"]).read_text())
    assert config["comments"] == {"lineComment": "#"}
    assert ["{", "}"] in config["brackets"]


@pytest.fixture(scope="session")
def tmgrammar_test() -> Path:
    """vscode-tmgrammar-test from npm, installed once into a cache folder."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        pytest.skip("Node.js/npm not installed: the VS Code grammar tests need node and npm")
    local = VSCODE / "node_modules" / ".bin" / "vscode-tmgrammar-test"
    if local.exists():  # .ci/run installed the extension's npm packages (npm ci)
        return local
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "slimdsl-tests"
    prefix = cache / "npm"
    binary = prefix / "node_modules" / ".bin" / "vscode-tmgrammar-test"
    if not binary.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        r = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix),
                            TMGRAMMAR_TEST], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"npm install {TMGRAMMAR_TEST} failed:\n{r.stderr[-2000:]}"
    return binary


def _run_tm(binary: Path, cwd: Path, pattern: str):
    return subprocess.run([str(binary), "-c", "-g", str(VSCODE / "syntaxes" /
                                                        "slimdsl.tmLanguage.json"), pattern],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.slow  # npm install on first run, then node: ~1 s each
def test_vscode_grammar_tests_pass(tmgrammar_test):
    r = _run_tm(tmgrammar_test, VSCODE, "tests/*.test.slimdsl")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.slow  # npm install on first run, then node: ~1 s each
def test_vscode_grammar_wrong_assertion_fails(tmgrammar_test, tmp_path):
    """The harness really checks: a wrong scope makes it fail."""
    (tmp_path / "bad.test.slimdsl").write_text(
        '# SYNTAX TEST "source.slimdsl" "wrong on purpose"\n'
        "conv2d(64, 3)\n"
        "# <------ keyword.control.slimdsl\n")
    r = _run_tm(tmgrammar_test, tmp_path, "*.test.slimdsl")
    assert r.returncode != 0
    assert "keyword.control.slimdsl" in r.stdout + r.stderr


@pytest.mark.slow  # npm install on first run, then node: ~1 s each
def test_vscode_grammar_models_layers(tmgrammar_test, tmp_path):
    """Every registry layer is highlighted as a layer when called (generated test file)."""
    lines = ['# SYNTAX TEST "source.slimdsl" "every layer of the registry"']
    for name in sorted(set(LAYER_NAMES) | set(META_LAYERS)):
        lines += [f"    {name}(1)", "#   " + "^" * len(name) + " support.function.layer.slimdsl"]
    (tmp_path / "layers.test.slimdsl").write_text("\n".join(lines) + "\n")
    r = _run_tm(tmgrammar_test, tmp_path, "*.test.slimdsl")
    assert r.returncode == 0, r.stdout + r.stderr


# ---------------------------------------------------------------------------- Vim

PROBE = """\
let out = [&filetype]
for lnum in range(1, line('$'))
  let names = []
  for col in range(1, col([lnum, '$']) - 1)
    call add(names, synIDattr(synID(lnum, col, 1), 'name'))
  endfor
  call add(out, join(names, ','))
endfor
call writefile(out, $SLIMDSL_PROBE_OUT)
qa!
"""


def _vim(path: Path, tmp_path: Path) -> tuple[str, list[list[str]]]:
    """Open ``path`` in headless Vim with editors/vim on the runtimepath: filetype and the
    syntax group of every character."""
    vim = shutil.which("vim")
    if vim is None:
        pytest.skip("vim not installed (apt-get install vim)")
    probe, out = tmp_path / "probe.vim", tmp_path / "probe.out"
    probe.write_text(PROBE)
    env = {**os.environ, "SLIMDSL_PROBE_OUT": str(out), "HOME": str(tmp_path)}
    r = subprocess.run([vim, "-Nu", "NONE", "-i", "NONE", "-es",
                        "--cmd", f"set rtp^={EDITORS / 'vim'}", "-c", "filetype plugin on",
                        "-c", "syntax on", "-c", f"edit {path}", "-c", f"source {probe}"],
                       env=env, capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert out.exists(), f"vim failed: {r.stdout}{r.stderr}"
    first, *rows = out.read_text().split("\n")
    return first, [row.split(",") for row in rows]


def _group_at(path: Path, groups, line: int, word: str, occurrence: int = 1) -> str:
    text = path.read_text().splitlines()[line - 1]
    col = -1
    for _ in range(occurrence):
        col = text.index(word, col + 1)
    return groups[line - 1][col]


def test_vim_detects_slimdsl_by_content(tmp_path):
    model = tmp_path / "net.slim"
    model.write_text((ROOT / "models" / "vgg.slim").read_text())
    assert _vim(model, tmp_path)[0] == "slimdsl"
    alias = tmp_path / "alias.slim"
    alias.write_text('import "vgg.slim"\n\nmodel vgg_16 = vgg(convs=[2, 2, 3, 3, 3])\n')
    assert _vim(alias, tmp_path)[0] == "slimdsl"
    template = tmp_path / "page.slim"
    template.write_text(RUBY_SLIM)
    assert _vim(template, tmp_path)[0] != "slimdsl"
    other = tmp_path / "spec.slimdsl"
    other.write_text("# no definitions yet\n")
    assert _vim(other, tmp_path)[0] == "slimdsl"


def test_vim_syntax_groups(tmp_path):
    path = tmp_path / "probe.slim"
    path.write_text(
        'import "common.slim"  # TODO more\n'
        "model m(n: int = 3, k: float = 0.5) {\n"
        "  input x: [?, 224, 224, 3] float32\n"
        "  arg_scope([conv2d, fully_connected], activation_fn=relu) {\n"
        '    repeat(2, conv2d, 64, [3, 3]) as conv1\n'
        '    y = bottleneck(net, stride=int(n)) as "unit_{n}\\n"\n'
        "    if n == 3 and not false { flatten() } else { dropout(0.5) }\n"
        "  }\n"
        "  output logits = net\n"
        "}\n")
    ft, g = _vim(path, tmp_path)
    assert ft == "slimdsl"
    expect = [
        (1, "import", "slimdslInclude"), (1, '"common', "slimdslString"),
        (1, "#", "slimdslComment"), (1, "TODO", "slimdslTodo"),
        (2, "model", "slimdslDeclaration"), (2, "m(", "slimdslDefName"),
        (2, "int", "slimdslType"), (2, "3", "slimdslNumber"), (2, "0.5", "slimdslFloat"),
        (3, "input", "slimdslKeyword"), (3, "?", "slimdslUnknown"),
        (3, "float32", "slimdslDtype"),
        (4, "arg_scope", "slimdslKeyword"), (4, "conv2d", "slimdslLayer"),
        (4, "fully_connected", "slimdslLayer"), (4, "activation_fn", "slimdslKwarg"),
        (4, "relu", "slimdslLayer"),
        (5, "repeat", "slimdslLayer"), (5, "as", "slimdslKeyword"),
        (5, "conv1", "slimdslScopeName"),
        (6, "net", "slimdslNet"), (6, "stride", "slimdslKwarg"), (6, "int", "slimdslBuiltin"),
        (6, "{n}", "slimdslInterpolation"), (6, "\\n", "slimdslEscape"),
        (7, "if", "slimdslConditional"), (7, "and", "slimdslOperator"),
        (7, "false", "slimdslConstant"), (7, "flatten", "slimdslLayer"),
        (7, "else", "slimdslConditional"),
        (9, "output", "slimdslKeyword"),
    ]
    wrong = [(line, word, _group_at(path, g, line, word), group) for line, word, group in expect
             if _group_at(path, g, line, word) != group]
    assert not wrong, wrong


def test_vim_every_layer_highlighted(tmp_path):
    names = sorted(set(LAYER_NAMES) | set(META_LAYERS))
    path = tmp_path / "layers.slim"
    path.write_text("model m {\n" + "".join(f"  {n}(1)\n" for n in names) + "}\n")
    _, g = _vim(path, tmp_path)
    assert [g[i + 1][2] for i in range(len(names))] == ["slimdslLayer"] * len(names)


def test_vim_ftplugin(tmp_path):
    vim = shutil.which("vim")
    if vim is None:
        pytest.skip("vim not installed (apt-get install vim)")
    model = tmp_path / "m.slim"
    model.write_text("model m {\n}\n")
    out = tmp_path / "settings.out"
    subprocess.run([vim, "-Nu", "NONE", "-i", "NONE", "-es", "--cmd",
                    f"set rtp^={EDITORS / 'vim'}", "-c", "filetype plugin on", "-c",
                    f"edit {model}", "-c",
                    f"call writefile([&commentstring, &shiftwidth, &formatexpr], '{out}')",
                    "-c", "qa!"], capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.read_text().split("\n")[:3] == ["# %s", "2", "SlimdslFormat()"]


# ---------------------------------------------------------------------------- Pygments


@pytest.fixture(scope="module")
def lexer():
    pytest.importorskip("pygments")
    from pygments.lexers import get_lexer_by_name
    return get_lexer_by_name("slimdsl")  # through the installed entry point


def _sources() -> list[Path]:
    golden = sorted((ROOT / "tests" / "golden").glob("**/*.slim"))
    return MODELS + [p for p in golden if b"\x00" not in p.read_bytes()]


def test_pygments_entry_point(lexer):
    from pygments.lexers import find_lexer_class_by_name

    from slimdsl.editors.pygments_lexer import SlimDslLexer
    assert type(lexer).__name__ == "SlimDslLexer"
    assert find_lexer_class_by_name("slimdsl").__module__ == SlimDslLexer.__module__
    assert find_lexer_class_by_name("slim").__name__ == "SlimLexer"  # Ruby Slim keeps its alias


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pygments_no_error_tokens(lexer, path):
    from pygments.token import Error
    text = path.read_text(encoding="utf-8", errors="replace")
    tokens = list(lexer.get_tokens(text))
    if path.parent.name == "errors" and any(t in Error for t, _ in tokens):
        return  # golden error cases may hold characters that are not .slim at all ('@')
    assert [v for t, v in tokens if t in Error] == []
    assert "".join(v for _, v in tokens).rstrip("\n") == text.rstrip("\n")


def test_pygments_token_kinds(lexer):
    from pygments.token import Comment, Keyword, Name, Number, String
    text = ('model m(n: int = 2) {\n  arg_scope([conv2d], padding="SAME") {\n'
            '    conv2d(64, 3.5) as "c_{n}"  # note\n  }\n}\n')
    tokens = [(t, v) for t, v in lexer.get_tokens(text) if v.strip()]
    assert (Keyword.Declaration, "model") in tokens
    assert (Name.Function, "m") in tokens
    assert (Keyword.Type, "int") in tokens
    assert (Keyword, "arg_scope") in tokens
    assert (Name.Builtin, "conv2d") in tokens
    assert (Name.Attribute, "padding") in tokens
    assert (Number.Float, "3.5") in tokens
    assert (String.Interpol, "{n}") in tokens
    assert (Comment.Single, "# note") in tokens


def test_pygments_claims_slim_files_by_content(lexer):
    from pygments.lexers import get_lexer_for_filename, guess_lexer_for_filename
    model = (ROOT / "models" / "vgg.slim").read_text()
    assert type(guess_lexer_for_filename("net.slim", model)).__name__ == "SlimDslLexer"
    assert type(guess_lexer_for_filename("page.slim", RUBY_SLIM)).__name__ == "SlimLexer"
    assert type(get_lexer_for_filename("page.slim")).__name__ == "SlimLexer"
    assert type(get_lexer_for_filename("net.slimdsl")).__name__ == "SlimDslLexer"
    assert lexer.analyse_text(RUBY_SLIM) == 0.0


def test_core_does_not_import_pygments():
    code = ("import sys, slimdsl.api, slimdsl.cli, slimdsl.frontend.formatter; "
            "sys.exit('pygments' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
