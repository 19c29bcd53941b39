"""Code-generation safety: hostile names, strings and numbers cannot become Python code.

A corpus of payloads (quotes, newlines, backslashes, triple quotes, ``__import__``, Python
keywords and builtins as names, unicode look-alikes, ``nan``/``inf``, huge and tiny numbers,
hostile file names and ``-D`` values) is put everywhere a .slim file or the command line feeds
text into the generated module: model, block, parameter, input and output names, scope names,
end-point keys, ``outputs_collections``, string parameters, numbers, the source path.

Each payload must be either rejected with a diagnostic, or emitted as inert data: the module
compiles, :func:`audit` accepts its AST (only the constructs the templates produce, only
``import tensorflow as tf``, no dangerous builtins, no dunder attributes but ``__init__``), and
the payload text occurs only inside string constants. Every module generated from ``models/``
goes through the same audit.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from slimdsl import api
from slimdsl.backends.tensorflow.codegen import generate
from slimdsl.diagnostics import CompileError

ROOT = Path(__file__).resolve().parents[3]

#: Node types the templates and the code generator produce (see test_zoo_modules_pass_audit).
ALLOWED_NODES = {
    "Add", "And", "Assign", "Attribute", "AugAssign", "BinOp", "BitAnd", "BitOr", "BoolOp",
    "Call", "ClassDef", "Compare", "Constant", "Dict", "DictComp", "Div", "Eq", "Expr", "For",
    "FormattedValue", "FunctionDef", "GeneratorExp", "Gt", "GtE", "If", "IfExp", "Import", "In",
    "Is", "IsNot", "JoinedStr", "Lambda", "List", "ListComp", "Load", "Lt", "LtE", "Module",
    "Mult", "Name", "Not", "NotEq", "NotIn", "Or", "Pow", "Raise", "Return", "SetComp", "Slice",
    "Starred", "Store", "Sub", "Subscript", "Tuple", "USub", "UnaryOp", "With", "alias", "arg",
    "arguments", "comprehension", "keyword", "withitem", "FloorDiv", "Mod", "Pass",
}
#: Names generated code must never use: they reach outside TensorFlow.
FORBIDDEN_NAMES = {
    "eval", "exec", "compile", "__import__", "open", "getattr", "setattr", "delattr",
    "globals", "locals", "vars", "breakpoint", "input", "exit", "quit", "os", "sys",
    "subprocess", "importlib", "builtins", "__builtins__", "pickle", "marshal", "memoryview",
}
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def audit(code: str) -> list[str]:
    """Why ``code`` is not a module the generator is meant to produce (empty: it is).

    Beyond the node types and the one import: a forbidden name may appear only as a function's
    own parameter (a user-chosen name such as ``eval`` is a local there, inert); and no
    parameter may shadow a global the module uses (``tf``, ``len``, a helper such as
    ``_xavier``), which would break the generated code.
    """
    try:
        tree = ast.parse(code)
        compile(tree, "<generated>", "exec")
    except SyntaxError as exc:
        return [f"does not compile: {exc}"]
    problems = []
    globals_used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} & \
        ({"tf"} | set(dir(__builtins__) if isinstance(__builtins__, dict) else
                      dir(__import__("builtins"))))
    globals_used |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    globals_used |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
                     if isinstance(t, ast.Name)}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.Lambda)):
            params = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
            for name in params & globals_used:
                problems.append(f"line {fn.lineno}: parameter {name} shadows a global")
    for node in ast.walk(tree):
        kind = type(node).__name__
        if kind not in ALLOWED_NODES:
            problems.append(f"line {getattr(node, 'lineno', '?')}: {kind} is not produced by "
                            f"the templates")
        if isinstance(node, ast.Import):
            if [(a.name, a.asname) for a in node.names] != [("tensorflow", "tf")]:
                problems.append(f"line {node.lineno}: import {ast.unparse(node)}")
        names = []
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            if node.attr.startswith("__") and node.attr != "__init__":
                problems.append(f"line {node.lineno}: dunder attribute {node.attr}")
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.arg):
            names.append(node.arg)
        elif isinstance(node, ast.keyword) and node.arg is not None:
            names.append(node.arg)
        for name in names:
            if not IDENTIFIER.match(name):
                problems.append(f"line {node.lineno}: non-ASCII identifier {name!r}")
    problems += _forbidden_uses(tree)
    return sorted(set(problems))


def _forbidden_uses(tree: ast.AST, params: frozenset = frozenset()) -> list[str]:
    """Forbidden names not bound as a parameter of an enclosing function."""
    out = []
    for child in ast.iter_child_nodes(tree):
        inner = params
        if isinstance(child, (ast.FunctionDef, ast.Lambda)):
            inner = params | {a.arg for a in child.args.args + child.args.kwonlyargs}
        if isinstance(child, ast.Name) and child.id in FORBIDDEN_NAMES and child.id not in params:
            out.append(f"line {child.lineno}: forbidden name {child.id}")
        out += _forbidden_uses(child, inner)
    return out


#: Text of the payloads that would be code if it escaped its string (the templates have none).
MARKERS = ("__import__", "import os", "os.system", "pwned", "SystemExit", "$(id)", "noqa",
           "ｅval", "\u202e")


def code_outside_strings(code: str) -> str:
    """The module's tokens without string literals and comments: what Python executes."""
    tokens = tokenize.generate_tokens(io.StringIO(code).readline)
    return " ".join(t.string for t in tokens if t.type not in (tokenize.STRING, tokenize.COMMENT))


def _str(text: str) -> str:
    """``text`` as a .slim string literal (the escapes the language has)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")\
        .replace("\t", "\\t") + '"'


STRING_PAYLOADS = [
    '"; import os; os.system("echo pwned"); "', "\"\"\"\nimport os\n\"\"\"", "'''", "\\",
    "\\n", "a\nb", "\t", "__import__('os').system('id')", "{scope}", "${HOME}", "%s%s%n",
    "\u202e", "а", "ｅval", "\u2028", "é", "\x7f", "#", "# noqa\nimport os", "\r",
    "end\"; raise SystemExit #", "'" * 3 + '"' * 3, "\\x41\\u0041",
]
NAME_PAYLOADS = [
    "class", "lambda", "None", "True", "self", "tf", "super", "print", "__import__", "eval",
    "exec", "os", "sys", "_", "__init__", "__class__", "__builtins__", "end_points", "training",
    "device", "x", "yield", "await", "async", "nonlocal", "global", "del", "pass", "raise",
]
NUMBER_PAYLOADS = [
    "1e308", "5e-324", "0.0", "1e-300", "123456789012345678901234567890", "0" * 50 + "7",
    "1e999", "1e308 * 10", "-1e308 * 10", "0.1 + 0.2", "2 ** 64", "-0.0",
]
LAYER = "  fully_connected(3) as fc\n"


def corpus() -> list[tuple[str, str, dict]]:
    """(label, .slim source, -D overrides) for every payload in every place."""
    cases = []
    for p in STRING_PAYLOADS:
        s = _str(p)
        cases += [
            (f"end_point key {p!r}", f"model m {{\n  input x: [?, 4]\n{LAYER}"
                                     f"  end_point {s}\n}}\n", {}),
            (f"outputs_collections {p!r}", "model m {\n  input x: [?, 4]\n"
                                           f"  fully_connected(3, outputs_collections={s})\n}}\n",
             {}),
            (f"scope name {p!r}", f"model m {{\n  input x: [?, 4]\n  relu() as {s}\n}}\n", {}),
            (f"string parameter {p!r}", f"model m(k: string = {s}) {{\n  input x: [?, 4]\n"
                                        f"{LAYER}  end_point \"{{k}}\"\n}}\n", {}),
            (f"-D string {p!r}", "model m(k: string = \"a\") {\n  input x: [?, 4]\n"
                                 f"{LAYER}  end_point \"{{k}}\"\n}}\n", {"k": p}),
            (f"padding {p!r}", f"model m {{\n  input x: [?, 4, 4, 3]\n"
                               f"  conv2d(3, 1, padding={s})\n}}\n", {}),
        ]
    for p in NAME_PAYLOADS:
        cases += [
            (f"model name {p}", f"model {p} {{\n  input x: [?, 4]\n{LAYER}}}\n", {}),
            (f"block name {p}", f"block {p}(d: int) {{\n  relu()\n}}\n"
                                f"model m {{\n  input x: [?, 4]\n  {p}(3) as b\n{LAYER}}}\n", {}),
            (f"block parameter {p}", f"block b({p}: int) {{\n  fully_connected({p})\n}}\n"
                                     f"model m {{\n  input x: [?, 4]\n  b(3)\n}}\n", {}),
            (f"model parameter {p}", f"model m({p}: int = 3) {{\n  input x: [?, 4]\n"
                                     f"  fully_connected({p})\n}}\n", {}),
            (f"input name {p}", f"model m {{\n  input {p}: [?, 4]\n{LAYER}}}\n", {}),
            (f"output name {p}", f"model m {{\n  input x: [?, 4]\n{LAYER}  output {p} = net\n}}\n",
             {}),
            (f"tensor name {p}", f"model m {{\n  input x: [?, 4]\n  {p} = fully_connected(net, 3)"
                                 f"\n  add({p})\n}}\n", {}),
            (f"scope {p}", f"model m {{\n  input x: [?, 4]\n  scope {p} {{\n  {LAYER}  }}\n}}\n",
             {}),
        ]
    for p in NUMBER_PAYLOADS:
        cases += [
            (f"dimension {p}", f"model m {{\n  input x: [?, {p}]\n{LAYER}}}\n", {}),
            (f"num_outputs {p}", f"model m {{\n  input x: [?, 4]\n  fully_connected({p})\n}}\n",
             {}),
            (f"l2 scale {p}", "model m {\n  input x: [?, 4]\n"
                              f"  fully_connected(3, weights_regularizer=l2({p}))\n}}\n", {}),
            (f"float parameter {p}", f"model m(f: float = {p}) {{\n  input x: [?, 4]\n"
                                     "  fully_connected(3, biases_initializer=constant(f))\n}\n",
             {}),
            (f"keep_prob {p}", f"model m {{\n  input x: [?, 4]\n  dropout({p})\n}}\n", {}),
        ]
    for value in (float("nan"), float("inf"), -float("inf"), 10**40, "__import__('os')",
                  [1, "x"], {"a": 1}, None, True):
        cases.append((f"-D float {value!r}", "model m(f: float = 0.5) {\n  input x: [?, 4]\n"
                                             "  dropout(f)\n}\n", {"f": value}))
    return cases


def _outcome(label: str, source: str, overrides: dict, path: str = "hostile.slim") -> str:
    """"rejected" or "inert"; raises AssertionError if neither holds."""
    result = api.check_source(source, path, overrides=overrides or None)
    for d in result.diagnostics:
        assert d.code != "internal", (label, d.message)
        assert d.span.line >= 1 and d.span.column >= 1, (label, d)
    if not result.ok:
        return "rejected"
    try:
        code = generate(result.graphs, path)
    except CompileError as exc:
        assert exc.diagnostics and all(d.code != "internal" for d in exc.diagnostics), label
        return "rejected"
    problems = audit(code)
    assert not problems, (label, problems[:5])
    live = code_outside_strings(code)
    for marker in MARKERS:
        assert marker not in live, (label, marker)
    return "inert"


@pytest.mark.parametrize("every", [
    pytest.param(5, id="a fifth"),
    pytest.param(1, id="all", marks=pytest.mark.slow),
])
def test_hostile_payloads_are_rejected_or_inert(every, figures):
    outcomes = {"rejected": 0, "inert": 0}
    for label, source, overrides in corpus()[::every]:
        outcomes[_outcome(label, source, overrides)] += 1
    total = sum(outcomes.values())
    figures("codegen safety", f"{total} payloads, {outcomes['rejected']} rejected, "
                              f"{outcomes['inert']} emitted as inert data, 0 survived")
    if os.environ.get("SLIMDSL_FUZZ_REPORT"):
        with open(os.environ["SLIMDSL_FUZZ_REPORT"], "a") as f:
            f.write(json.dumps({"codegen_safety": {"payloads": total, **outcomes}}) + "\n")
    assert total * every >= 400 and outcomes["inert"] * every >= 100 \
        and outcomes["rejected"] * every >= 100


@pytest.mark.parametrize("name", ['evil"""\nimport os\n""".slim', "a\\b'c.slim",
                                  "\u202e.slim", "x;$(id).slim"])
def test_hostile_source_paths(tmp_path, name):
    """The source path is written into the module's docstring and constants: inert."""
    source = "model m {\n  input x: [?, 4]\n" + LAYER + "}\n"
    result = api.check_source(source, str(tmp_path / name))
    code = generate(result.graphs, str(tmp_path / name))
    assert audit(code) == []
    assert "import os" not in code_outside_strings(code)


def test_hostile_command_line(tmp_path):
    """-D values and paths reach the docstring through the command line: inert."""
    src = tmp_path / 'we"ird\nname.slim'
    src.write_text('model m(k: string = "a") {\n  input x: [?, 4]\n' + LAYER
                   + '  end_point "{k}"\n}\n')
    out = tmp_path / "out.py"
    proc = subprocess.run([sys.executable, "-m", "slimdsl", "compile", str(src), "-o", str(out),
                           "-D", 'k="""; import os #'], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    code = out.read_text()
    assert audit(code) == []
    assert "import os" not in code_outside_strings(code) and "import os" in code


@pytest.mark.slow  # every zoo model generated: seconds; CI runs it
def test_zoo_modules_pass_audit():
    """Every module generated from models/ contains only what the audit allows."""
    checked = 0
    for path in sorted(ROOT.glob("models/*.slim")):
        result = api.check_file(str(path))
        if not result.ok or not result.graphs:
            continue
        assert audit(generate(result.graphs, str(path))) == [], path.name
        checked += 1
    assert checked >= 10


def test_audit_catches_what_it_should():
    assert audit("import os\n")
    assert audit("import tensorflow as tf\nx = eval('1')\n")
    assert audit("import tensorflow as tf\nx = tf.__class__\n")
    assert audit("while True:\n    pass\n")  # While is not produced by the templates
    assert audit("def f(:\n")
    assert audit("import tensorflow as tf\n") == []
