"""The layout of slimdsl/ as docs/architecture.md describes it: its package table, the direction
of imports between stages, no private names across modules, and files and classes kept small."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "slimdsl"
DOC = ROOT / "docs" / "architecture.md"

#: The order of the parts of slimdsl/: a part imports only parts of a lower rank.
RANKS = {
    "records": -1,
    "values": 0, "diagnostics": 0, "resources": 0, "symbolic": 0,
    "layers": 1,
    "ir": 2,
    "frontend": 3,
    "lower": 4,
    "accounting": 5, "lint": 5,
    "api": 6,
    "backends": 7, "tools": 7, "editors": 7,
    "lsp": 8,
    "cli": 9, "__main__": 10,
}
MAX_FILE_LINES = 600
MAX_CLASS_LINES = 400


def documented_paths() -> list[str]:
    """The paths in the first column of the doc's "Packages" table."""
    section = DOC.read_text(encoding="utf-8").split("\n## Packages\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(slimdsl/[^`]*)` \|", section, re.M)


def test_the_architecture_doc_lists_exactly_the_packages_and_modules():
    listed = documented_paths()
    assert len(listed) == len(set(listed)), "a path is listed twice"
    packages = {p.parent.relative_to(ROOT).as_posix() + "/"
                for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE}
    modules = {p.relative_to(ROOT).as_posix() for p in PACKAGE.glob("*.py")
               if not p.name.startswith("__")}
    missing = sorted(p for p in listed if p not in packages | modules)
    assert not missing, f"docs/architecture.md lists what does not exist: {missing}"
    unlisted = sorted((packages | modules) - set(listed))
    assert not unlisted, f"docs/architecture.md does not list: {unlisted}"


@functools.cache
def _nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of a file's syntax tree (parsed once for all the tests of this module)."""
    return tuple(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, imported names) of every ``from slimdsl... import`` in a file."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    package = parts if path.name == "__init__.py" else parts[:-1]
    package = package[:-1] if package[-1] == "__init__" else package
    out = []
    for node in _nodes(path):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[:len(package) - node.level + 1])
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] == "slimdsl":
                out.append((node.lineno, module, [a.name for a in node.names]))
    return out


def _part(module: str, name: str | None = None) -> str | None:
    """The part of slimdsl/ a module (or ``from package import name``) belongs to."""
    dotted = module.split(".")[1:] + ([name] if name and len(module.split(".")) == 1 else [])
    return dotted[0] if dotted else None


def test_imports_go_from_later_stages_to_earlier_ones():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).parts
        if rel[0] == "__init__.py":
            continue  # the package's face: it re-exports the API
        mine = rel[0].removesuffix(".py")
        for line, module, names in _imports(path):
            for name in names:
                theirs = _part(module, name)
                if theirs in (None, mine) or name == "__version__":
                    continue
                if RANKS[theirs] >= RANKS[mine]:
                    wrong.append(f"{path.relative_to(ROOT)}:{line}: {mine} imports {theirs}")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_no_module_imports_a_private_name_of_another():
    wrong = []
    for folder in ("slimdsl", "tests", "benchmarks", "scripts", "editors"):
        for path in (ROOT / folder).rglob("*.py"):
            nodes = _nodes(path)
            modules = set()
            for line, module, names in _imports(path):
                for name in names:
                    if name.startswith("_") and not name.startswith("__"):
                        wrong.append(f"{path.relative_to(ROOT)}:{line}: imports {module}.{name}")
                    modules.add(name)
            for node in nodes:
                if isinstance(node, ast.Import):
                    modules |= {a.asname or a.name for a in node.names
                                if a.name.startswith("slimdsl")}
            for node in nodes:
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                        and node.value.id in modules and node.attr.startswith("_") \
                        and not node.attr.startswith("__"):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: uses "
                                 f"{node.value.id}.{node.attr}")
    assert not wrong, "\n".join(wrong)


def test_files_and_classes_stay_small():
    big = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_FILE_LINES:
            big.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
        for node in _nodes(path):
            if isinstance(node, ast.ClassDef) and \
                    node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                big.append(f"{path.relative_to(ROOT)}: class {node.name}, "
                           f"{node.end_lineno - node.lineno + 1} lines")
    assert not big, f"over {MAX_FILE_LINES} lines a file or {MAX_CLASS_LINES} a class: {big}"
