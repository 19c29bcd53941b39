"""A front-end fuzzer that knows the language: programs generated from the grammar and the
registry, and structural mutations of the zoo, most of which get past the parser.

Byte- and token-level fuzzing (``fuzz_text``) mostly stops at the parser. Here:

* :func:`generate_program` writes programs valid by construction *syntactically*: models with
  typed parameters, an input, layers of every kind of the registry with arguments drawn from
  their schemas (:data:`slimdsl.layers.LAYERS`: names, types, required ones), ``repeat`` and
  ``stack``, blocks with parameters called named and unnamed, ``arg_scope`` over layers and
  blocks with keys they accept, ``scope``, ``for`` loops over ``range()`` (steps including 0 and
  negative ones), ``if``/``elif``/``else`` on shapes and parameters, ``def`` functions,
  assignments, branches of ``concat``/``add``, ``assert``, ``end_point`` and ``output``. Values
  are mostly in range, sometimes not (zero, negative, huge, the wrong type).
* :func:`mutate_program` edits a file of ``models/`` statement by statement: swaps, duplicates
  or deletes statements (whole lines, so the braces stay balanced), changes numbers and names,
  drops, adds or perturbs keyword arguments (from the registry's schema), flips strings.

:func:`stage` runs one input through the stages and says where it stopped: ``parse`` (syntax,
encoding, imports), ``lower`` (an error diagnostic from lowering or accounting), ``accepted``,
or ``crash`` (an exception, an ``internal`` diagnostic, or a diagnostic the printers cannot
render: a bug). Every input is a pure function of its seed.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
MODELS = ROOT / "models"
STAGES = ("parse", "lower", "accepted", "crash")


# ---------------------------------------------------------------------------- values


def _int(r: random.Random, low: int = 1, high: int = 8) -> str:
    roll = r.random()
    if roll < 0.04:
        return r.choice(("0", "-1", "100000", "2 ** 3"))[:6].replace(" ** 3", "")
    if roll < 0.08:
        return r.choice(("1.5", '"3"', "true", "none", "?"))
    return str(r.randint(low, high))


def _pair(r: random.Random) -> str:
    if r.random() < 0.6:
        return _int(r, 1, 4)
    return f"[{_int(r, 1, 4)}, {_int(r, 1, 4)}]"


_ACTIVATIONS = ("relu", "relu6", "elu", "sigmoid", "tanh", "none", "leaky_relu",
                "leaky_relu(alpha=0.1)", "softmax")
_INITIALIZERS = ("xavier", "zeros", "ones", "constant(0.1)", "truncated_normal(0.01)",
                 "random_normal(stddev=0.02, mean=0.0)", "random_uniform(-0.1, 0.1)",
                 "variance_scaling()", "glorot", "none")
_REGULARIZERS = ("l2(0.0005)", "l1(0.01)", "l1_l2(0.1, 0.2)", "none")


def _value(r: random.Random, arg_type: str, rank: int) -> str:
    """A value of the registry's argument type ``arg_type`` (sometimes a wrong one)."""
    if r.random() < 0.03:
        return r.choice(("none", "-3", '"x"', "[1, 2, 3]", "{a: 1}", "1e999"))
    return {
        "int": lambda: _int(r),
        "int?": lambda: r.choice((_int(r), "none")),
        "int-or-pair": lambda: _pair(r),
        "float": lambda: r.choice(("0.001", "0.5", "0.9997", "1e-5")),
        "prob": lambda: r.choice(("0.5", "0.8", "1.0", "1", "0")),
        "bool": lambda: r.choice(("true", "false")),
        "flag": lambda: r.choice(("true", "false", "training")),
        "padding": lambda: r.choice(('"SAME"', '"VALID"', '"same"')),
        "activation": lambda: r.choice(_ACTIVATIONS),
        "initializer": lambda: r.choice(_INITIALIZERS),
        "initializer!": lambda: r.choice(_INITIALIZERS[:-1]),
        "regularizer": lambda: r.choice(_REGULARIZERS),
        "normalizer": lambda: r.choice(("batch_norm", "none")),
        "dict": lambda: r.choice(("{scale: true}", "{decay: 0.9, epsilon: 0.01}", "{}",
                                  "{center: false, scale: true}")),
        "string?": lambda: r.choice(('"end_points"', "none")),
        "axes": lambda: r.choice(("[1, 2]", "1", "none", f"[{rank - 1}]")),
        "axis": lambda: str(r.randint(-rank, rank)),
        "paddings": lambda: "[" + ", ".join(f"[{r.randint(0, 2)}, {r.randint(0, 2)}]"
                                            for _ in range(rank)) + "]",
        "data-format": lambda: '"NHWC"',
    }.get(arg_type, lambda: _int(r))()


# ---------------------------------------------------------------------------- generation


class _Writer:
    """Writes one random program (see the module docstring)."""

    def __init__(self, r: random.Random):
        from slimdsl.layers import LAYERS
        self.r = r
        self.kinds = list(LAYERS.values())
        self.lines: list[str] = []
        self.blocks: dict[str, list[str]] = {}  # block name -> its int parameters
        self.counter = 0
        self.rank = 4

    def name(self, prefix: str) -> str:
        self.counter += 1
        if self.r.random() < 0.05 and self.counter > 2:  # a clash, sometimes in another case
            old = f"{prefix}{self.r.randint(1, self.counter - 1)}"
            return old if self.r.random() < 0.5 else old.upper()
        return f"{prefix}{self.counter}"

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("  " * indent + text)

    def layer_call(self, kind, with_scope: bool = True, names: tuple[str, ...] = ()) -> str:
        r = self.r
        args = []
        for a in kind.args:
            if a.required:
                value = r.choice(names) if names and a.type == "int" and r.random() < 0.3 \
                    else _value(r, a.type, self.rank)
                args.append(value)
        optional = [a for a in kind.args if not a.required]
        for a in r.sample(optional, min(len(optional), r.choice((0, 0, 1, 2, 3)))):
            args.append(f"{a.name}={_value(r, a.type, self.rank)}")
        if kind.inputs == "list":
            args.insert(0, "[net, net]")
        elif kind.inputs == "two":
            args.insert(0, "net")
        call = f"{kind.name}({', '.join(args)})"
        if with_scope and r.random() < 0.5:
            call += f" as {self.name('L')}"
        return call

    def pick_kind(self):
        r = self.r
        preferred = ("conv2d", "max_pool2d", "avg_pool2d", "batch_norm", "separable_conv2d",
                     "conv2d_same", "relu", "dropout", "fully_connected")
        if r.random() < 0.6:
            from slimdsl.layers import LAYERS
            return LAYERS[r.choice(preferred)]
        return r.choice(self.kinds)

    def statements(self, indent: int, count: int, depth: int, names: tuple[str, ...]) -> None:
        r = self.r
        for _ in range(count):
            roll = r.random()
            if roll < 0.45 or depth <= 0:
                self.emit(indent, self.layer_call(self.pick_kind(), names=names))
            elif roll < 0.52:
                kind = self.r.choice([k for k in self.kinds if k.inputs == "one"
                                      and len([a for a in k.args if a.required]) <= 2])
                req = [_value(r, a.type, self.rank) for a in kind.args if a.required]
                self.emit(indent, f"repeat({_int(r, 0, 3)}, {kind.name}"
                                  f"{''.join(', ' + v for v in req)}) as {self.name('R')}")
            elif roll < 0.56:
                items = ", ".join(f"({_int(r, 1, 8)}, {_pair(r)})" for _ in range(r.randint(1, 3)))
                self.emit(indent, f"stack(conv2d, [{items}])"
                                  + (f" as {self.name('S')}" if r.random() < 0.5 else ""))
            elif roll < 0.62 and self.blocks:
                block = r.choice(list(self.blocks))
                params = ", ".join(_int(r, 1, 8) for _ in self.blocks[block])
                self.emit(indent, f"{block}({params})"
                                  + (f" as {self.name('B')}" if r.random() < 0.6 else ""))
            elif roll < 0.68:
                kinds = r.sample(["conv2d", "fully_connected", "max_pool2d", "avg_pool2d",
                                  "separable_conv2d", "batch_norm", "dropout", "softmax"]
                                 + list(self.blocks), 2)
                key = r.choice(("padding=\"SAME\"", "activation_fn=relu", "stride=1",
                                "weights_regularizer=l2(0.001)", "normalizer_fn=batch_norm",
                                "outputs_collections=\"end_points\"", "is_training=false",
                                "kernel_size=3", "scale=true"))
                self.emit(indent, f"arg_scope([{', '.join(kinds)}], {key}) {{")
                self.statements(indent + 1, r.randint(1, 3), depth - 1, names)
                self.emit(indent, "}")
            elif roll < 0.73:
                self.emit(indent, f"scope {self.name('sc')} {{")
                self.statements(indent + 1, r.randint(1, 3), depth - 1, names)
                self.emit(indent, "}")
            elif roll < 0.78:
                var = f"i{self.counter}"
                self.counter += 1
                start, stop = r.randint(-1, 2), r.randint(0, 4)
                step = r.choice(("", ", 1", ", 2", ", -1", ", 0"))
                self.emit(indent, f"for {var} in range({start}, {stop}{step}) {{")
                self.emit(indent + 1, f"scope \"u_{{{var}}}\" {{")
                self.statements(indent + 2, r.randint(1, 2), depth - 1, names + (var,))
                self.emit(indent + 1, "}")
                self.emit(indent, "}")
            elif roll < 0.83:
                cond = r.choice(("net.shape[1] > 4", "net.rank == 4", "known(net.shape[0])",
                                 "net.shape[-1] == 16", "len(net.shape) > 2 and true"))
                self.emit(indent, f"if {cond} {{")
                self.statements(indent + 1, 1, depth - 1, names)
                if r.random() < 0.3:
                    self.emit(indent, "} elif net.shape[1] == 1 {")
                    self.statements(indent + 1, 1, depth - 1, names)
                if r.random() < 0.5:
                    self.emit(indent, "} else {")
                    self.statements(indent + 1, 1, depth - 1, names)
                self.emit(indent, "}")
            elif roll < 0.88:
                op = r.choice(("concat(axis=3)", "concat(axis=-1)", "add()"))
                self.emit(indent, op + (f" as {self.name('C')}" if r.random() < 0.5 else "")
                          + " {")
                for b in range(2 if op == "add()" else r.randint(1, 3)):
                    self.emit(indent + 1, (f"Branch_{b} " if r.random() < 0.6 else "") + "{")
                    self.statements(indent + 2, r.randint(0, 2), depth - 1, names)
                    self.emit(indent + 1, "}")
                self.emit(indent, "}")
            elif roll < 0.92:
                var = f"t{self.counter}"
                self.counter += 1
                self.emit(indent, f"{var} = {self.layer_call(self.pick_kind(), False, names)}")
                if r.random() < 0.5:
                    self.emit(indent, f"add({var})")
            elif roll < 0.95:
                self.emit(indent, r.choice(("assert net.rank == 4", "assert net.shape[0] == ?",
                                            "end_point", f"end_point \"{{scope}}/e{self.counter}\"",
                                            f"d{self.counter} = depth(net.shape[-1])")))
            else:
                self.emit(indent, f"flatten()\n{'  ' * indent}fully_connected({_int(r)})")
                self.rank = 2

    def program(self) -> str:
        r = self.r
        self.emit(0, "def depth(d) = max(int(d * 0.5), 4)")
        for b in range(r.randint(0, 2)):
            name = f"blk{b}"
            params = ["d"] + (["k"] if r.random() < 0.5 else [])
            self.emit(0, f"block {name}({', '.join(p + ': int' for p in params)}) {{")
            self.statements(1, r.randint(1, 3), 1, tuple(params))
            self.emit(0, "}")
            self.blocks[name] = params
        self.rank = r.choice((4, 4, 4, 2, 3))
        shape = ", ".join(["?"] + [str(r.choice((4, 8, 12, 16, 32))) for _ in
                                   range(self.rank - 1)])
        self.emit(0, "model m(width: int = 8, keep: float = 0.5, act: activation = relu) {")
        self.emit(1, f"input x: [{shape}]")
        self.statements(1, r.randint(2, 7), 3, ("width",))
        if r.random() < 0.5:
            self.emit(1, "output y = net")
        self.emit(0, "}")
        if r.random() < 0.2:
            self.emit(0, f"model m2 = m(width={_int(r)})")
        return "\n".join(self.lines) + "\n"


def generate_program(r: random.Random) -> str:
    """A random program, syntactically valid by construction (see the module docstring)."""
    return _Writer(r).program()


# ---------------------------------------------------------------------------- mutation

_NUMBER = re.compile(r"(?<![\w.])\d+(\.\d+)?(?![\w.])")
_NAME = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
_KEYWORD = re.compile(r"\b([a-z_]+)=")


def _statement_lines(lines: list[str]) -> list[int]:
    """Lines that are one whole statement (no brace opens or closes there)."""
    return [i for i, line in enumerate(lines)
            if line.strip() and not line.strip().startswith("#")
            and "{" not in line and "}" not in line and not line.rstrip().endswith((",", "("))
            and line.count("(") == line.count(")") and line.count("[") == line.count("]")]


def mutate_program(r: random.Random, text: str) -> str:
    """One to three structural edits of ``text`` (a model file)."""
    from slimdsl.layers import LAYERS
    lines = text.split("\n")
    for _ in range(r.randint(1, 3)):
        stmts = _statement_lines(lines)
        if not stmts:
            break
        i = r.choice(stmts)
        op = r.randrange(8)
        if op == 0:  # swap two statements
            j = r.choice(stmts)
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 1:  # duplicate a statement
            lines.insert(i, lines[i])
        elif op == 2:  # delete a statement
            del lines[i]
        elif op == 3:  # change a number
            numbers = list(_NUMBER.finditer(lines[i]))
            if numbers:
                m = r.choice(numbers)
                new = r.choice(("0", "1", "2", "3", "-1", "7", "64", "1000", "0.5",
                                str(int(float(m.group())) * 2)))
                lines[i] = lines[i][:m.start()] + new + lines[i][m.end():]
        elif op == 4:  # change a name (to another of the file, or of the registry)
            names = [m for m in _NAME.finditer(lines[i])]
            if names:
                m = r.choice(names)
                pool = _NAME.findall(text) + list(LAYERS) + ["net", "x", "depth"]
                new = r.choice(pool)
                if r.random() < 0.2:
                    new = new.upper() if r.random() < 0.5 else new + "_1"
                lines[i] = lines[i][:m.start()] + new + lines[i][m.end():]
        elif op == 5:  # drop a keyword argument
            m = re.search(r",\s*[a-z_]+=[^,()]+(?=[,)])", lines[i])
            if m:
                lines[i] = lines[i][:m.start()] + lines[i][m.end():]
        elif op == 6:  # add a keyword argument from the layer's schema
            call = re.search(r"\b([a-z_0-9]+)\((.*)\)", lines[i])
            if call and call.group(1) in LAYERS and LAYERS[call.group(1)].args:
                kind = LAYERS[call.group(1)]
                a = r.choice(kind.args)
                inner = call.group(2)
                extra = f"{a.name}={_value(r, a.type, 4)}"
                inner = f"{inner}, {extra}" if inner.strip() else extra
                lines[i] = lines[i][:call.start(2)] + inner + lines[i][call.end(2):]
        else:  # perturb a string or a keyword's value
            if '"SAME"' in lines[i] or '"VALID"' in lines[i]:
                lines[i] = lines[i].replace('"SAME"', '"V"').replace('"VALID"', '"SAME"')
            else:
                m = _KEYWORD.search(lines[i])
                if m:
                    value = r.choice(("none", "0", "true", "relu", "[1, 2]", '"x"'))
                    rest = lines[i][m.end():]
                    end = re.search(r"[,)]", rest)
                    cut = end.start() if end else len(rest)
                    lines[i] = lines[i][:m.end()] + value + rest[cut:]
    return "\n".join(lines)


def zoo_files() -> list[Path]:
    """The mutation seeds: every model file of the zoo."""
    return sorted(MODELS.glob("*.slim"))


def make_input(seed: int, zoo: list[tuple[Path, str]]) -> tuple[str, str, str]:
    """Input ``seed``: (how it was made, the path it is checked as, its text). Half generated,
    half mutated zoo files (checked as files of models/, so their imports resolve)."""
    r = random.Random(seed)
    if r.random() < 0.5:
        return "generated", str(MODELS / "fuzz.slim"), generate_program(r)
    path, text = r.choice(zoo)
    return "mutated", str(path), mutate_program(r, text)


# ---------------------------------------------------------------------------- stages


def stage(text: str, path: str) -> tuple[str, str]:
    """Where ``text`` stops: (stage, detail). ``crash`` is a bug of slimc."""
    from slimdsl import api
    from slimdsl.diagnostics import CompileError, printer
    from slimdsl.frontend.program import load_program
    try:
        load_program(text, path)
    except CompileError as exc:
        if any(d.code == "internal" for d in exc.diagnostics):
            return "crash", exc.diagnostics[0].message
        return "parse", exc.diagnostics[0].code if exc.diagnostics else ""
    except RecursionError:
        return "parse", "too-deep"
    except Exception as exc:  # noqa: BLE001 - the parser must not raise anything else
        return "crash", f"parser raised {type(exc).__name__}: {exc}"
    try:
        result = api.check_source(text, path)
        pairs = [(path, result.diagnostics)]
        printer.format_json(pairs)
        for d in result.diagnostics:
            printer.format_text(d, text, False)
    except Exception as exc:  # noqa: BLE001 - check_source never raises for bad input
        return "crash", f"{type(exc).__name__}: {exc}"
    internal = [d for d in result.diagnostics if d.code == "internal"]
    if internal:
        return "crash", internal[0].message
    errors = [d for d in result.diagnostics if d.is_error]
    if errors:
        return "lower", errors[0].code
    return "accepted", ""


def run(seeds, zoo: list[tuple[Path, str]] | None = None) -> dict:
    """Every input of ``seeds`` through :func:`stage`: counts per stage and how the inputs were
    made, the crashes (seed, how, detail) and the error codes seen."""
    zoo = zoo if zoo is not None else [(p, p.read_text()) for p in zoo_files()]
    stats: dict = {"inputs": 0, "stages": dict.fromkeys(STAGES, 0),
                   "by_kind": {"generated": dict.fromkeys(STAGES, 0),
                               "mutated": dict.fromkeys(STAGES, 0)},
                   "codes": {}, "crashes": []}
    for seed in seeds:
        how, path, text = make_input(seed, zoo)
        where, detail = stage(text, path)
        stats["inputs"] += 1
        stats["stages"][where] += 1
        stats["by_kind"][how][where] += 1
        if where in ("parse", "lower"):
            stats["codes"][detail] = stats["codes"].get(detail, 0) + 1
        if where == "crash":
            stats["crashes"].append(f"seed {seed} ({how}, {path}): {detail}")
    return stats


def shares(stats: dict) -> str:
    """``parse 12.0%, lower 55.1%, accepted 32.9%, crash 0.0%`` and the share past the parser."""
    n = max(stats["inputs"], 1)
    parts = [f"{s} {100 * stats['stages'][s] / n:.1f}%" for s in STAGES]
    past = n - stats["stages"]["parse"]
    return ", ".join(parts) + f"; {100 * past / n:.1f}% reach lowering"
