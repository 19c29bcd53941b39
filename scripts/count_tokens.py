"""Size of every zoo network: our .slim against the TF-Slim Python that defines the same network.

Usage::

    python scripts/count_tokens.py            # the tables of models/README.md (Markdown)
    python scripts/count_tokens.py --json     # the same figures as JSON
    python scripts/count_tokens.py --write    # rewrite the tables in models/README.md
    python scripts/count_tokens.py --check    # exit 1 if models/README.md is out of date

What is counted (the same rules on both sides):

- **tokens** are code tokens. Python: the tokens of :mod:`tokenize` minus comments, docstrings
  and the layout tokens NEWLINE, NL, INDENT, DEDENT and ENDMARKER. .slim: the tokens of the
  language's own lexer (``slimdsl.frontend.grammar.grammar().lex``) minus comments and newlines.
- **lines** are the lines that hold at least one counted token (no blank, comment-only or
  docstring lines).
- **TF-Slim side**: the top-level definitions that build the network, taken from the installed
  ``tf_slim/nets`` sources: the network function, its ``*_base`` function, its ``*_arg_scope``,
  the helpers it calls (``trunc_normal``, ``_reduced_kernel_size_for_small_input``, and for
  ResNet ``bottleneck``, ``resnet_v1``/``resnet_v2``, ``*_block`` and resnet_utils' ``Block``,
  ``subsample``, ``conv2d_same``, ``stack_blocks_dense``, ``resnet_arg_scope``) and its
  ``default_image_size``. Imports and module docstrings are not counted.
- **.slim side**: the network's file plus every file it imports (``vgg_16.slim`` counts
  ``vgg.slim`` too, ``resnet_v1_50.slim`` counts ``resnet_v1.slim``).
- The networks of tensorflow/models (MobileNet v2/v3, NASNet, PNASNet, I3D, S3D-G, CycleGAN)
  get a table of their own with our side only: their TF-Slim Python is not installed
  (tensorflow/models is not a package), and this script reads sources from disk only.

The model figures (input, output, parameters, FLOPs) are those of ``slimc summary``. Neither
this script nor slimc imports TensorFlow; the TF-Slim sources are only read as text.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import io
import json
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
README = MODELS / "README.md"
BEGIN, END = "<!-- begin: scripts/count_tokens.py -->", "<!-- end: scripts/count_tokens.py -->"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from oracles.zoo import compile_at_size  # noqa: E402

from slimdsl.frontend.grammar import grammar  # noqa: E402
from slimdsl.frontend.program import load_program, read_text  # noqa: E402

_INCEPTION_HELPERS = ("trunc_normal", "_reduced_kernel_size_for_small_input")
_RESNET_UTILS = ("Block", "subsample", "conv2d_same", "stack_blocks_dense", "resnet_arg_scope")


def _vgg(name: str) -> dict[str, tuple[str, ...]]:
    return {"vgg.py": ("vgg_arg_scope", name, f"{name}.default_image_size")}


def _inception(v: int) -> dict[str, tuple[str, ...]]:
    name = f"inception_v{v}"
    helpers = _INCEPTION_HELPERS if v > 1 else _INCEPTION_HELPERS[:1]
    return {f"{name}.py": helpers + (f"{name}_base", name, f"{name}.default_image_size",
                                     f"{name}_arg_scope")}


def _resnet(v: int, depth: int) -> dict[str, tuple[str, ...]]:
    family, name = f"resnet_v{v}", f"resnet_v{v}_{depth}"
    return {f"{family}.py": ("bottleneck", family, f"{family}.default_image_size",
                             f"{family}_block", name),
            "resnet_utils.py": _RESNET_UTILS}


#: Network -> {TF-Slim source file: top-level definitions that build it}.
TF_SLIM_DEFINITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "alexnet_v2": {"alexnet.py": ("trunc_normal", "alexnet_v2_arg_scope", "alexnet_v2",
                                  "alexnet_v2.default_image_size")},
    "overfeat": {"overfeat.py": ("trunc_normal", "overfeat_arg_scope", "overfeat")},
    "vgg_a": _vgg("vgg_a"), "vgg_16": _vgg("vgg_16"), "vgg_19": _vgg("vgg_19"),
    "inception_v1": _inception(1), "inception_v2": _inception(2), "inception_v3": _inception(3),
    **{f"resnet_v{v}_{d}": _resnet(v, d) for v in (1, 2) for d in (50, 101, 152, 200)},
}

#: The networks of tensorflow/models (research/slim/nets) in the zoo, proven against
#: tests/data/nets/NAME.json. Their Python is not installed (tensorflow/models is no package),
#: so only our side is counted.
MODELS_NETWORKS = ("mobilenet_v2", "mobilenet_v2_140", "mobilenet_v3_large", "mobilenet_v3_small",
                   "nasnet_cifar", "nasnet_mobile", "nasnet_large", "pnasnet_mobile",
                   "pnasnet_large", "i3d", "s3dg", "cyclegan_generator_resnet")
MODELS_FAMILIES = {
    "mobilenet (v2, v2 1.4, v3 large, v3 small)": MODELS_NETWORKS[:4],
    "nasnet (NASNet-A cifar, mobile, large; PNASNet-5 mobile, large)": MODELS_NETWORKS[4:9],
    "s3dg (I3D, S3D-G)": ("i3d", "s3dg"),
}

#: Families whose members share definitions: every member's .slim file against the union of
#: their TF-Slim definitions.
FAMILIES = {
    "vgg (a, 16, 19)": ("vgg_a", "vgg_16", "vgg_19"),
    **{f"resnet_v{v} (50, 101, 152, 200)": tuple(f"resnet_v{v}_{d}" for d in (50, 101, 152, 200))
       for v in (1, 2)},
}


@dataclass(frozen=True)
class Size:
    """Code lines and code tokens of a piece of source."""

    lines: int
    tokens: int

    def __add__(self, other: Size) -> Size:
        return Size(self.lines + other.lines, self.tokens + other.tokens)


_PY_LAYOUT = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT,
              tokenize.ENDMARKER, tokenize.COMMENT, tokenize.ENCODING}


def _docstring_starts(tree: ast.AST) -> set[tuple[int, int]]:
    """(line, column) where each docstring of a module, class or function starts."""
    starts = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                starts.add((body[0].lineno, body[0].col_offset))
    return starts


def python_size(source: str) -> Size:
    """Code tokens and code lines of Python ``source`` (see the module docstring)."""
    docstrings = _docstring_starts(ast.parse(source))
    lines, tokens = set(), 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in _PY_LAYOUT:
            continue
        if tok.type == tokenize.STRING and tok.start in docstrings:
            continue
        tokens += 1
        lines.update(range(tok.start[0], tok.end[0] + 1))
    return Size(len(lines), tokens)


def _top_level_name(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
        return stmt.name
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        if isinstance(target, ast.Name):
            return target.id
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            return f"{target.value.id}.{target.attr}"
    return None


def tf_slim_nets_dir() -> Path:
    """The installed ``tf_slim/nets`` folder, found without importing tf_slim (or TF)."""
    spec = importlib.util.find_spec("tf_slim")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("tf_slim is not installed (pip install tf-slim==1.1.0)")
    return Path(list(spec.submodule_search_locations)[0]) / "nets"


def tf_slim_source(network: str) -> str:
    """The TF-Slim definitions of ``network``, as source text (decorators included)."""
    parts = []
    for file, names in TF_SLIM_DEFINITIONS[network].items():
        source = (tf_slim_nets_dir() / file).read_text()
        lines = source.splitlines(keepends=True)
        found = {}
        for stmt in ast.parse(source).body:
            name = _top_level_name(stmt)
            if name in names:
                first = min([stmt.lineno] + [d.lineno for d in
                                             getattr(stmt, "decorator_list", [])])
                found[name] = "".join(lines[first - 1:stmt.end_lineno])
        missing = set(names) - set(found)
        if missing:
            raise SystemExit(f"{file}: no top-level {', '.join(sorted(missing))}")
        parts.extend(found[n] for n in names)
    return "\n".join(parts)


def slim_files(network: str) -> list[Path]:
    """The network's .slim file and every file it imports."""
    path = MODELS / f"{network}.slim"
    program = load_program(read_text(str(path)), str(path))
    return [Path(p) for p in program.sources]


def slim_size(path: Path) -> Size:
    """Code tokens and code lines of one .slim file (see the module docstring)."""
    lines, tokens = set(), 0
    for tok in grammar().lex(read_text(str(path))):
        if tok.type in ("_NL", "COMMENT"):
            continue
        tokens += 1
        lines.update(range(tok.line, tok.end_line + 1))
    return Size(len(lines), tokens)


def _sum(sizes) -> Size:
    total = Size(0, 0)
    for s in sizes:
        total += s
    return total


def measure(network: str) -> dict:
    """Every figure of one network's row in models/README.md (no TF-Slim side for the
    networks of tensorflow/models)."""
    graph = compile_at_size(str(MODELS / f"{network}.slim"))  # resnet's H, W: TF-Slim's 224
    files = slim_files(network)
    ours = _sum(slim_size(f) for f in files)
    row = {
        "network": network,
        "files": [f.name for f in files],
        "input": list(graph.inputs[0].tensor.shape),
        "output": list(graph.outputs[0].tensor.shape),
        "trainable_params": graph.trainable_params,
        "total_params": graph.total_params,
        "flops": graph.flops,
        "slim_lines": ours.lines, "slim_tokens": ours.tokens,
    }
    if network in TF_SLIM_DEFINITIONS:
        theirs = python_size(tf_slim_source(network))
        row.update(python_lines=theirs.lines, python_tokens=theirs.tokens,
                   token_ratio=round(ours.tokens / theirs.tokens, 2))
    return row


def measure_models_family(members: tuple[str, ...]) -> dict:
    """A tensorflow/models family's .slim files, shared ones once."""
    files = sorted({f for m in members for f in slim_files(m)})
    ours = _sum(slim_size(f) for f in files)
    return {"files": [f.name for f in files], "slim_lines": ours.lines, "slim_tokens": ours.tokens}


def measure_family(members: tuple[str, ...]) -> dict:
    """A family's .slim files (shared ones once) against its TF-Slim definitions (once each)."""
    files = sorted({f for m in members for f in slim_files(m)})
    ours = _sum(slim_size(f) for f in files)
    merged: dict[str, list[str]] = {}
    for m in members:
        for file, names in TF_SLIM_DEFINITIONS[m].items():
            merged.setdefault(file, [])
            merged[file] += [n for n in names if n not in merged[file]]
    saved = dict(TF_SLIM_DEFINITIONS)
    try:
        TF_SLIM_DEFINITIONS["_family"] = {k: tuple(v) for k, v in merged.items()}
        theirs = python_size(tf_slim_source("_family"))
    finally:
        TF_SLIM_DEFINITIONS.clear()
        TF_SLIM_DEFINITIONS.update(saved)
    return {"files": [f.name for f in files], "slim_lines": ours.lines,
            "slim_tokens": ours.tokens, "python_lines": theirs.lines,
            "python_tokens": theirs.tokens, "token_ratio": round(ours.tokens / theirs.tokens, 2)}


def _shape(dims: list) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"


def markdown(rows: list[dict], families: dict[str, dict]) -> str:
    """The two tables of models/README.md."""
    out = ["| network | .slim files | input | output | trainable params | total params | "
           "FLOPs | .slim lines / tokens | TF-Slim lines / tokens | tokens ratio |",
           "|---|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        files = ", ".join(f"`{f}`" for f in r["files"])
        out.append(f"| {r['network']} | {files} | {_shape(r['input'])} | {_shape(r['output'])} "
                   f"| {r['trainable_params']:,} | {r['total_params']:,} | {r['flops']:,} "
                   f"| {r['slim_lines']} / {r['slim_tokens']:,} "
                   f"| {r['python_lines']} / {r['python_tokens']:,} | {r['token_ratio']:.2f} |")
    out += ["", "| family | .slim files | .slim lines / tokens | TF-Slim lines / tokens "
                "| tokens ratio |", "|---|---|---:|---:|---:|"]
    for name, f in families.items():
        out.append(f"| {name} | {len(f['files'])} files | {f['slim_lines']} / "
                   f"{f['slim_tokens']:,} | {f['python_lines']} / {f['python_tokens']:,} "
                   f"| {f['token_ratio']:.2f} |")
    return "\n".join(out)


def models_markdown(rows: list[dict], families: dict[str, dict]) -> str:
    """The tables of the tensorflow/models networks (our side only)."""
    out = ["| network | .slim files | input | output | trainable params | total params | "
           "FLOPs | .slim lines / tokens |", "|---|---|---|---|---:|---:|---:|---:|"]
    for r in rows:
        files = ", ".join(f"`{f}`" for f in r["files"])
        out.append(f"| {r['network']} | {files} | {_shape(r['input'])} | {_shape(r['output'])} "
                   f"| {r['trainable_params']:,} | {r['total_params']:,} | {r['flops']:,} "
                   f"| {r['slim_lines']} / {r['slim_tokens']:,} |")
    out += ["", "| family | .slim files | .slim lines / tokens |", "|---|---|---:|"]
    for name, f in families.items():
        out.append(f"| {name} | {len(f['files'])} files | {f['slim_lines']} / "
                   f"{f['slim_tokens']:,} |")
    return "\n".join(out)


def all_tables() -> str:
    """Everything between the markers of models/README.md."""
    rows = [measure(n) for n in networks()]
    families = {name: measure_family(members) for name, members in FAMILIES.items()
                if all(m in networks() for m in members)}
    more = [n for n in MODELS_NETWORKS if (MODELS / f"{n}.slim").exists()]
    more_families = {name: measure_models_family(members)
                     for name, members in MODELS_FAMILIES.items()
                     if all(m in more for m in members)}
    return (markdown(rows, families) + "\n\n### Networks of tensorflow/models (research/slim/nets)"
            "\n\n" + models_markdown([measure(n) for n in more], more_families))


def networks() -> list[str]:
    """The zoo networks whose .slim file exists, in TF_SLIM_DEFINITIONS order."""
    return [n for n in TF_SLIM_DEFINITIONS if (MODELS / f"{n}.slim").exists()]


def readme_with(tables: str, readme: str) -> str:
    """``readme`` with the text between the BEGIN and END markers replaced by ``tables``."""
    head, found, rest = readme.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise SystemExit(f"{README}: the markers {BEGIN} and {END} are missing")
    return f"{head}{BEGIN}\n{tables}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    mode.add_argument("--write", action="store_true", help="update the tables in models/README.md")
    mode.add_argument("--check", action="store_true",
                      help="exit 1 if the tables in models/README.md are out of date")
    args = parser.parse_args(argv)
    if args.json:
        rows = [measure(n) for n in networks()]
        rows += [measure(n) for n in MODELS_NETWORKS if (MODELS / f"{n}.slim").exists()]
        families = {name: measure_family(members) for name, members in FAMILIES.items()
                    if all(m in networks() for m in members)}
        print(json.dumps({"networks": rows, "families": families}, indent=2))
        return 0
    tables = all_tables()
    if not (args.write or args.check):
        print(tables)
        return 0
    current = README.read_text()
    wanted = readme_with(tables, current)
    if args.check:
        if wanted != current:
            print(f"{README} is out of date: run python scripts/count_tokens.py --write")
            return 1
        return 0
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
