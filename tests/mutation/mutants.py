"""Targeted mutation testing of the core: plausible one-line bugs, and the fast tests that must
catch each.

``python tests/mutation/mutants.py`` copies the project (slimdsl, templates, grammar, tests,
models, docs, scripts) to a temporary folder once, then for each mutant of :data:`MUTANTS`
applies its edit to that copy (never to the working tree), runs the tests the mutant names in a
subprocess with the copy first on ``sys.path``, and puts the file back. A mutant is *killed*
when those tests fail, *survives* when they pass, and is *equivalent* when its behaviour cannot
differ (each says why). It prints one line per mutant and a JSON summary: tried, killed,
survived, equivalent, the kill rate over the non-equivalent ones. ``--only ID`` runs one.

The mutants cover shape arithmetic (``layers/shapes.py``), scope naming (``lower/naming.py``,
``lower/nodes.py``),
the registry (``layers/*``: shape rules, variables, defaults, FLOPs) and code generation
(``backends/tensorflow/*`` and the runtime templates). The slow test
``tests/mutation/test_mutants.py`` runs them all and requires a kill rate of at least 90 %.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("slimdsl", "templates", "grammar", "tests", "models", "docs", "scripts", "benchmarks",
          "editors", "pyproject.toml", "README.md")

# The fast tests each area's mutants run, in tiers: the next tier runs only when the mutant
# survives the previous one (most die in the first, narrow one).
PARAMS = "tests/test_zoo.py::test_compiles_to_the_published_parameter_count"
SHAPES = [["slimdsl/layers/shapes.py", "tests/layers/test_shapes.py"],
          [PARAMS, "tests/diagnostics/test_diagnostics_golden.py"]]
NAMING = [["tests/lower/test_lower.py", "tests/backends/tensorflow/test_codegen_zoo.py"],
          ["tests/diagnostics/test_diagnostics_golden.py", "tests/lower/test_regressions.py"]]
REGISTRY = [[PARAMS, "tests/backends/tensorflow/test_codegen_zoo.py"],
            ["tests/lower/test_lower.py", "tests/test_accounting.py",
             "tests/layers/test_accounting_layers.py",
             "tests/diagnostics/test_diagnostics_golden.py", "tests/test_zoo.py"]]
CODEGEN = [["tests/backends/tensorflow/test_codegen.py"],
           ["tests/backends/tensorflow/test_codegen_zoo.py"]]
FRONTEND = [["tests/fuzz/test_fuzz_grammar.py"]]
# Where a test claims to guard generated code's behaviour (devices, the input check, biases at
# inference, the checkpoint loader), that test runs first, alone: the mutant must die there, not
# only in the golden files of test_codegen, which catch any change of the generated text.
TF = "tests/backends/tensorflow/"
DEVICES = [[TF + "test_backend_devices.py"]] + CODEGEN
INPUT_CHECK = [["tests/diagnostics/test_first_diagnostics.py::"
                "test_generated_module_checks_its_inputs"]] + CODEGEN
CHECKPOINT = [[TF + "test_backend_models.py::test_tf_slim_checkpoint_restores_by_name"]] + CODEGEN
CLAIMS = (DEVICES, INPUT_CHECK, CHECKPOINT)
TF_SLIM = [["tests/fuzz/test_tf_slim_disagreements.py"]]


@dataclass(frozen=True)
class Mutant:
    """One edit: ``old`` (which must occur exactly once in ``file``) becomes ``new``."""

    id: str
    file: str
    old: str
    new: str
    tests: tuple[tuple[str, ...], ...]  # tiers of test paths
    equivalent: str = ""  # why the behaviour cannot change, for an equivalent mutant


def _m(id: str, file: str, old: str, new: str, tests: list[list[str]],
       equivalent: str = "") -> Mutant:
    return Mutant(id, file, old, new, tuple(tuple(t) for t in tests), equivalent)


SH = "slimdsl/layers/shapes.py"
NM = "slimdsl/lower/naming.py"
ND = "slimdsl/lower/nodes.py"
CG = "slimdsl/backends/tensorflow/codegen.py"
TR = "slimdsl/backends/tensorflow/translate.py"
PA = "slimdsl/backends/tensorflow/parts.py"

MUTANTS: list[Mutant] = [
    # ---------------------------------------------------------------- shapes
    _m("shapes-dilation", SH, "return k + (k - 1) * (rate - 1)", "return k + (k - 1) * rate",
       SHAPES),
    _m("shapes-same-floor", SH, "        return -(-size // stride)\n    out =",
       "        return size // stride\n    out =", SHAPES),
    _m("shapes-valid-plus-one", SH, "out = (size - k_eff) // stride + 1",
       "out = (size - k_eff) // stride", SHAPES),
    _m("shapes-valid-zero-allowed", SH, "    if out < 0 or (out == 0 and not allow_empty):",
       "    if out < 0:", SHAPES),
    _m("shapes-same-pad-stride1", SH, "    if stride == 1:\n        return conv_output_dim(size,",
       "    if stride == 2:\n        return conv_output_dim(size,", SHAPES),
    _m("shapes-same-pad-amount", SH, "pad = effective_kernel(kernel, rate) - 1",
       "pad = effective_kernel(kernel, rate)", SHAPES),
    _m("shapes-same-padding-split", SH, "return total // 2, total - total // 2",
       "return total - total // 2, total // 2", SHAPES),
    _m("shapes-transpose-valid", SH, "return size * stride + max(kernel - stride, 0)",
       "return size * stride + max(kernel - stride, 1)", SHAPES),
    _m("shapes-transpose-same", SH, "    if padding == \"SAME\":\n        return size * stride",
       "    if padding == \"SAME\":\n        return size * stride + 1", SHAPES),
    _m("shapes-window-width-uses-height", SH,
       "for d, k, s, r in zip(spatial, window.kernel, window.stride, rates):",
       "for d, k, s, r in zip(spatial, (window.kernel[0],) * n, window.stride, rates):",
       SHAPES),
    _m("shapes-flatten-drops-dim", SH, "    for d in shape[1:]:\n        total = None",
       "    for d in shape[2:]:\n        total = None", SHAPES),
    _m("shapes-dense-all-dims", SH, "    return shape[:-1] + (units,)",
       "    return (shape[0], units)", SHAPES),
    _m("shapes-concat-axis-sum", SH,
       "out.append(None if any(x is None for x in dims) else sum(dims))",
       "out.append(None if any(x is None for x in dims) else max(dims))", SHAPES),
    _m("shapes-concat-unchecked", SH, "        if x != known[0][1]:\n",
       "        if x != known[0][1] and False:\n", SHAPES),
    _m("shapes-broadcast-mismatch", SH,
       "        elif x == y:\n            out.append(x)\n        elif isinstance(x, Expr)",
       "        elif isinstance(x, Expr)", SHAPES),
    _m("shapes-squeeze-not-one", SH, "if shape[a] is not None and shape[a] != 1:",
       "if shape[a] is not None and shape[a] != 1 and False:", SHAPES),
    _m("shapes-normalize-axis-range", SH, "if not -rank <= axis < rank:",
       "if not -rank <= axis <= rank:", SHAPES),
    _m("shapes-size-skips", SH, "    total = 1\n    for d in shape[1:]:",
       "    total = 1\n    for d in shape[2:]:", SHAPES),
    _m("shapes-rank-check", SH, "    if len(shape) not in ranks:",
       "    if len(shape) not in ranks and len(shape) > 4:", SHAPES),
    # ---------------------------------------------------------------- naming
    _m("naming-first-suffix-0", NM, "i = self._suffix_hint.get(key, 1)",
       "i = self._suffix_hint.get(key, 0)", NAMING),
    _m("naming-no-suffix-search", NM,
       "        while self._taken(counts, kind, join_scope(parent, f\"{base}_{i}\")):\n"
       "            i += 1\n", "", NAMING),
    _m("naming-case-sensitive-names", NM,
       'count = dict.get(counts, key if kind == "variable" else key.lower(), 0)',
       "count = dict.get(counts, key, 0)", NAMING),
    _m("naming-no-close", NM, "        stack = list(under(full, ()))",
       "        stack = []", NAMING + TF_SLIM),
    _m("naming-name-scope-is-var-scope", NM,
       '        if self._taken(self._names, "name", ns):\n            ns = join_scope(',
       '        if False:\n            ns = join_scope(', NAMING + TF_SLIM),
    _m("naming-explicit-uniquified", ND,
       "            if name is None or kind.unique_names:  # a Keras layer's name",
       "            if True:  # a Keras layer's name", NAMING),
    _m("naming-join-top", NM, 'return f"{parent}/{name}" if parent else name',
       'return f"{parent}/{name}"', NAMING),
    _m("naming-scope-chars", NM, '_SCOPE_PART = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.\\-]*")',
       '_SCOPE_PART = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_.\\-/ ]*")', NAMING),
    _m("naming-interpolate-scope", NM,
       '# `scope` is a reserved word\n            out.append(scope)\n',
       '# `scope` is a reserved word\n            out.append(scope.split("/")[-1])\n', NAMING),
    # ---------------------------------------------------------------- registry
    _m("registry-conv-weights-shape", "slimdsl/layers/conv.py",
       'return linear_vars((kh, kw, in_channels(ins[0]), a["num_outputs"]), out, a)',
       'return linear_vars((kw, kh, in_channels(ins[0]), a["num_outputs"]), out, a)',
       REGISTRY),
    _m("registry-conv-default-scope", "slimdsl/layers/conv.py",
       'aliases=("convolution2d",), default_scope="Conv",',
       'aliases=("convolution2d",), default_scope="Conv2D",', REGISTRY),
    _m("registry-repeat-func-name", "slimdsl/layers/conv.py",
       'func_name="convolution2d", variables=_conv2d_vars',
       'func_name="conv2d", variables=_conv2d_vars', REGISTRY),
    _m("registry-conv-flops", "slimdsl/layers/conv.py",
       "macs = None if n is None else n * kh * kw * in_channels(ins[0])",
       "macs = None if n is None else n * kh * in_channels(ins[0])", REGISTRY),
    _m("registry-transpose-weights", "slimdsl/layers/conv.py",
       'return linear_vars((kh, kw, a["num_outputs"], in_channels(ins[0])), out, a)',
       'return linear_vars((kh, kw, in_channels(ins[0]), a["num_outputs"]), out, a)',
       REGISTRY),
    _m("registry-separable-pointwise", "slimdsl/layers/conv.py",
       'pw = VarSpec("pointwise_weights", (1, 1, cin * mult, a["num_outputs"])',
       'pw = VarSpec("pointwise_weights", (1, 1, cin, a["num_outputs"])', REGISTRY),
    _m("registry-pool-stride-default", "slimdsl/layers/pool.py",
       'Arg("stride", window, 2)', 'Arg("stride", window, 1)', REGISTRY),
    _m("registry-pool-padding-default", "slimdsl/layers/pool.py",
       'Arg("padding", "padding", "VALID"), Arg("data_format"',
       'Arg("padding", "padding", "SAME"), Arg("data_format"', REGISTRY),
    _m("registry-pool-flops", "slimdsl/layers/pool.py",
       "return None if n is None else n * prod(kernel)",
       "return None if n is None else n * kernel[0]", REGISTRY),
    _m("registry-fc-weights", "slimdsl/layers/dense.py",
       'return linear_vars((ins[0][-1], a["num_outputs"]), out, a)',
       'return linear_vars((a["num_outputs"], ins[0][-1]), out, a)', REGISTRY),
    _m("registry-bn-scale-default", "slimdsl/layers/norm.py",
       'Arg("scale", "bool", False, "multiply by a learned gamma")',
       'Arg("scale", "bool", True, "multiply by a learned gamma")', REGISTRY),
    _m("registry-bn-moving-trainable", "slimdsl/layers/norm.py",
       'out.append(VarSpec(prefix + "moving_mean", (channels,), False,',
       'out.append(VarSpec(prefix + "moving_mean", (channels,), True,', REGISTRY),
    _m("registry-bn-no-beta", "slimdsl/layers/norm.py", 'if a.get("center", True):',
       'if a.get("center", False):', REGISTRY,
       "the dict always holds 'center' (a layer's effective arguments and normalizer_params "
       "include every default), so the default of .get is never read"),
    _m("registry-bn-center-ignored", "slimdsl/layers/norm.py", 'if a.get("center", True):',
       'if True:', REGISTRY),
    _m("registry-pool-name-scope", "slimdsl/layers/pool.py",
       'default_scope="MaxPool2D", func_name="max_pool2d", scope_kind="name"',
       'default_scope="MaxPool2D", func_name="max_pool2d", scope_kind="variable"', REGISTRY),
    # ---------------------------------------------------------------- code generation
    _m("codegen-device-ignored", CG,
       """lines.append(f'{pad}with tf.device(device or ""):""",
       """lines.append(f'{pad}with tf.device(""):""", DEVICES),
    _m("codegen-call-device-ignored", CG,
       """lines.append('        with tf.device(self.device or ""):""",
       """lines.append('        with tf.device(""):""", DEVICES),
    _m("codegen-no-input-check", CG, "        for p in self.g.inputs:  # a wrong size or rank",
       "        for p in ():  # a wrong size or rank", INPUT_CHECK),
    _m("codegen-stride-dropped", PA, '    if _not_ones(a["stride"]):\n        out.append(f"stride=',
       '    if _not_ones(a["stride"]) and False:\n        out.append(f"stride=', CODEGEN),
    _m("codegen-padding-dropped", PA, '    if padding and a["padding"] != "SAME":',
       '    if padding and a["padding"] != "SAME" and False:', CODEGEN),
    _m("codegen-activation-default", PA, '    if a["activation_fn"] != Activation("relu"):',
       '    if a["activation_fn"] not in (Activation("relu"), None):', CODEGEN),
    _m("codegen-pool-stride", TR,
       '[ctx.ins[0], ints(a["kernel_size"]), ints(a["stride"]),',
       '[ctx.ins[0], ints(a["kernel_size"]), ints(a["kernel_size"]),', CODEGEN),
    _m("codegen-conv2d-same-pad", TR, "        total = k + (k - 1) * (r - 1) - 1",
       "        total = k + (k - 1) * (r - 1)", CODEGEN),
    _m("codegen-concat-axis", TR,
       'return Emitted("tf.concat", [f"[{\', \'.join(ctx.ins)}]", src.number(ctx.a["axis"])])',
       'return Emitted("tf.concat", [f"[{\', \'.join(ctx.ins)}]", "-1"])', CODEGEN),
    _m("codegen-biases-dropped-at-inference", "templates/runtime/layer.py.j2",
       "        elif self.biases is not None:\n",
       "        elif self.biases is not None and training:\n", CHECKPOINT),
    _m("codegen-loader-skips-biases", "templates/runtime/load_checkpoint.py.j2",
       "    for name in report[\"loaded\"]:\n        ours[name].assign(reader.get_tensor(name))",
       "    for name in report[\"loaded\"]:\n        if not name.endswith(\"/biases\"):\n"
       "            ours[name].assign(reader.get_tensor(name))", CHECKPOINT),
    # ---------------------------------------------------------------- the front end
    _m("frontend-range-zero-step", "slimdsl/lower/evaluate.py",
       "        if len(ints) == 3 and ints[2] == 0:\n", "        if False:\n", FRONTEND),
]


def _copy_project(dest: Path) -> None:
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.pyc", ".pytest_cache"))
        elif src.exists():
            shutil.copy2(src, dest / name)


def run_mutant(m: Mutant, work: Path, timeout: float = 900) -> tuple[str, float, str, int]:
    """(killed | survived | equivalent | timeout, seconds, the last lines of pytest's output,
    the number of the tier that killed it: 1 is the first, 0 none)."""
    path = work / m.file
    original = path.read_text()
    if original.count(m.old) != 1:
        raise ValueError(f"mutant {m.id}: its text occurs {original.count(m.old)} times in "
                         f"{m.file} (it must occur once: update the mutant)")
    path.write_text(original.replace(m.old, m.new))
    env = {**os.environ, "PYTHONPATH": str(work), "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    outcome, tail, killer = "survived", "", 0
    try:
        for number, tier in enumerate(m.tests, 1):
            # --assert=plain: a failing assert over IR objects would otherwise build the repr
            # of a whole graph (minutes): a mutant's failure is all this needs to know
            proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "--assert=plain",
                                   "--tb=line", "-p", "no:cacheprovider", "-m", "not slow",
                                   *tier],
                                  cwd=work, env=env, capture_output=True, text=True,
                                  timeout=timeout)
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
            if proc.returncode == 5:
                outcome, tail = "error", "no tests collected: " + tail
                break
            if proc.returncode != 0:
                outcome, killer = "killed", number
                break
    except subprocess.TimeoutExpired:
        outcome, tail = "timeout", f"over {timeout} s"
    finally:
        path.write_text(original)
    seconds = time.perf_counter() - start
    if m.equivalent and outcome == "survived":
        outcome = "equivalent"
    return outcome, seconds, tail, killer


def run(mutants: list[Mutant], out=sys.stdout) -> dict:
    """Run ``mutants`` on a temporary copy of the project; the summary."""
    results = []
    with tempfile.TemporaryDirectory(prefix="slimdsl-mutants-") as tmp:
        work = Path(tmp)
        _copy_project(work)
        for m in mutants:
            outcome, seconds, tail, killer = run_mutant(m, work)
            results.append({"id": m.id, "file": m.file, "outcome": outcome,
                            "seconds": round(seconds, 1), "equivalent": m.equivalent,
                            "tier": killer})
            by = f" by {' '.join(m.tests[killer - 1])}" if killer else ""
            print(f"{outcome:10} {seconds:6.1f} s  {m.id} ({m.file}){by}"
                  + (f"\n           {tail}" if outcome in ("survived", "error") else ""),
                  file=out, flush=True)
    counts = {k: sum(r["outcome"] == k for r in results)
              for k in ("killed", "survived", "equivalent", "timeout", "error")}
    judged = len(results) - counts["equivalent"]
    killed = counts["killed"] + counts["timeout"]
    return {"tried": len(results), **counts,
            "kill_rate": round(killed / judged, 3) if judged else 1.0,
            "killed_in_first_tier": sum(r["tier"] == 1 for r in results),
            "seconds": round(sum(r["seconds"] for r in results), 1),
            "survivors": [r["id"] for r in results if r["outcome"] == "survived"],
            "equivalents": {r["id"]: r["equivalent"] for r in results
                            if r["outcome"] == "equivalent"},
            "results": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="run only the mutant with this id")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or m.id in args.only]
    summary = run(chosen)
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}))
    return 0 if summary["kill_rate"] >= 0.9 and not summary["error"] else 1


if __name__ == "__main__":
    sys.exit(main())
