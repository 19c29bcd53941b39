"""The benchmarks at toy sizes (10 layers, one repetition, no TensorFlow), so they cannot rot.

Not a timing test: nothing here asserts a speed. The real figures come from
``python benchmarks/run.py`` and live in docs/performance.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `pytest` without `python -m`

from benchmarks import core, run  # noqa: E402
from benchmarks.common import ProcessStats, table, write_section  # noqa: E402
from benchmarks.generate import STYLES, generate  # noqa: E402
from slimdsl.api import check_source, compile_file  # noqa: E402
from slimdsl.tools.summary import summary_dict  # noqa: E402


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("layers", [4, 10, 23, 150])
def test_generated_models_are_clean_and_have_exactly_the_asked_layers(style, layers):
    result = check_source(generate(layers, style), "generated.slim")
    assert result.ok, [d.message for d in result.diagnostics]
    assert len(result.graphs[0].nodes) == layers


def test_generator_rejects_bad_requests():
    with pytest.raises(ValueError):
        generate(10, "spiral")
    with pytest.raises(ValueError):
        generate(2)


def test_stage_times_and_scaling_table_at_toy_size():
    # In-process stages only: the whole-process path is exercised by the zoo test below.
    r = core.bench_scaling([10, 20], styles=("flat",), repeat=1, process_repeat=0)
    assert [row["stages"]["layers"] for row in r["rows"]] == [10, 20]
    text = core.scaling_markdown(r)
    assert text.startswith("## Core: scaling") and "| flat | 20 |" in text


def test_zoo_benchmark_on_a_tiny_folder(tmp_path):
    (tmp_path / "m.slim").write_text(generate(10, "structured"), encoding="utf-8")
    r = core.bench_zoo(repeat=1, folder=tmp_path, warmup=0)
    assert (r["files"], r["models"], r["layers"]) == (1, 1, 10)
    proc = r["process"]
    assert proc.returncode == 0 and r["tf_imported"] is False, proc.stdout + proc.stderr
    assert proc.times[0] > 0 and proc.rss_kib[0] > 1024  # KiB from os.wait4 via the launcher
    assert "TensorFlow imported: no" in core.zoo_markdown(r)


def test_check_vs_tf_report_and_end_point_comparison():
    graph = compile_file(str(core.ROOT / core.VGG))
    ours = json.dumps({"models": [summary_dict(graph)]})
    theirs = "".join(f"{name} {list(t.shape)}\n" for name, t in graph.end_points.items())
    theirs += "32 variables, 138,357,544 parameters\n"
    agree, total = core.compare_end_points(ours, theirs)
    assert agree == total == len(graph.end_points) > 0

    def stats(t, rss):
        return ProcessStats(["x"], times=[t], cpu_times=[t], rss_kib=[rss], stdout=ours)

    r = {"model": core.VGG, "check": stats(0.2, 26_000), "summary": stats(0.2, 26_000),
         "baseline": stats(0.01, 8_000), "tf": stats(8.0, 560_000), "agree": (21, 21),
         "stages": {"parse": 0.001, "lower": 0.001, "account": 0.0001, "lint": 0.0001,
                    "grammar": 0.005,
                    "grammar_build": 0.05,
                    "repeat": 1}}
    text = core.check_vs_tf_markdown(r)
    assert "40.0x faster, 21.5x less memory" in text and "(met)" in text


def test_linear_fit_and_markdown_helpers(tmp_path):
    fit = core.linear_fit([(100, 0.01), (1000, 0.1), (10000, 1.0)])
    assert fit["r2"] > 0.9999 and abs(fit["b"] - 1e-4) < 1e-9
    assert table(["a", "b"], [["x", "1.0 ms"]]).splitlines()[1] == "| --- | ---: |"
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n## Backend\nkept\n")  # another script's section first
    write_section("## Core\nfirst-run", doc)
    write_section("## Core\nsecond-run", doc)
    text = doc.read_text()
    assert "second-run" in text and "first-run" not in text and "## Backend\nkept" in text
    assert text.index("## Core") < text.index("## Backend")


def test_runner_arguments_and_discovery():
    args = run.parse_args(["--quick", "--no-tf", "--only", "zoo", "--sizes", "10,20"])
    assert args.quick and args.no_tf and args.only == ["zoo"] and args.sizes == [10, 20]
    assert args.write is None and run.parse_args(["--no-write"]).write is False
    assert all(p.name.startswith("bench_") for p in run.extra_scripts())


def test_export_benchmark_statistics_and_report():
    from benchmarks import bench_export as be

    assert be.bootstrap_median([1.0, 1.0, 1.0]) == (1.0, 1.0, 1.0)
    mid, low, high = be.bootstrap_median([0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5])
    assert low <= mid == 1.2 <= high
    result = {"name": "resnet_v1_50", "batch": 1, "rounds": 3, "steps": 1,
              "median": dict.fromkeys(be.ROUTES, 0.1), "differences": dict.fromkeys(be.ROUTES, 0.0),
              "speedup": {**dict.fromkeys(be.ROUTES, (1.0, 1.0, 1.0)),
                          "--optimize": (1.35, 1.31, 1.4)},
              "cpu": dict.fromkeys(be.ROUTES, 0.2),
              "cpu_speedup": {**dict.fromkeys(be.ROUTES, (1.0, 1.0, 1.0)),
                              "--optimize": (1.32, 1.25, 1.38)}}
    info = {k: "x" for k in ("date", "cpu", "cores", "ram", "os", "python", "slimdsl", "lark",
                             "tensorflow", "tf-slim", "tf-keras", "load")}
    text = be.markdown([result], info, "Load average at the end: 1, 1, 1.")
    assert text.startswith("## Export and inference: side by side")
    assert "| resnet_v1_50 | 1 | --optimize | 100.0 ms | 10.0 | 1.35x (1.31-1.40) | 200.0 ms | " \
        "1.32x (1.25-1.38) | 0.0e+00 |" in text
    # judged on the CPU-time interval, which here reaches below the target
    assert "against a target of 1.3x: met on the median, not by the whole interval" in text
    slower = {**result, "name": "vgg_16", "cpu_speedup": {**result["cpu_speedup"],
                                                          "--optimize": (0.95, 0.9, 1.0)}}
    assert "target of 1.0x: not met, short by 0.05x on the median" in be.verdict(slower)
    sweep = {**result, "routes": ("tf_slim", "--optimize")}
    text = be.markdown([sweep], info, "")
    assert text.startswith("## Export and inference: the zoo sweep")
    assert "--routes tf_slim,--optimize" in text and "| generated |" not in text


@pytest.mark.slow  # starts a language server
def test_lsp_benchmark_on_a_tiny_file():
    from benchmarks import bench_lsp

    text = generate(12, "flat")
    r = bench_lsp.bench_file("tiny", text, edits=3, interval=0.0)
    assert len(r["total"]) == len(r["diagnostics"]) == len(r["cpu"]) == 3
    assert all(d <= t for d, t in zip(r["diagnostics"], r["total"]))
    assert [e[2:] for e in bench_lsp.edits_for(text, 4, 1)][:1] in ([("3", "4")], [("4", "3")])
    r = bench_lsp.bench_file("tiny", text, edits=3, interval=0.0, mix=bench_lsp.line_edits_for)
    assert len(r["total"]) == 3


def test_lsp_benchmark_line_edits_insert_a_blank_line_then_delete_it():
    from benchmarks import bench_lsp

    def apply_change(text: str, change: dict) -> str:
        lines = text.split("\n")
        def offset(p):
            return sum(len(x) + 1 for x in lines[:p["line"]]) + p["character"]
        r = change["range"]
        return text[:offset(r["start"])] + change["text"] + text[offset(r["end"]):]

    text = generate(12, "flat")
    current = text
    for k, (line, change) in enumerate(bench_lsp.line_edits_for(text, 6, 3)):
        current = apply_change(current, change)
        lines = current.split("\n")
        if k % 2 == 0:  # Enter: one more line, blank but for the indentation, at ``line``
            assert len(lines) == text.count("\n") + 2 and not lines[line].strip()
            assert "conv2d(" in lines[line - 1]
        else:
            assert current == text


def test_incremental_benchmark_at_toy_size():
    r = core.bench_incremental(layers=40, edits=3, repeat=1, model="models/lenet.slim")
    flat, lenet = r["rows"]
    assert flat["line"]["n"] == 3 and flat["line"]["partial"] == 3
    assert lenet["newline"]["partial"] == 3
    text = core.incremental_markdown(r)
    assert text.startswith("## Core: incremental re-parse") and "| flat 40 layers |" in text


def test_training_benchmark_report():
    import collections

    from benchmarks import bench_train

    info = collections.defaultdict(lambda: "x")
    text = bench_train.markdown([(300.0, 310.0), (290.0, 330.0), (320.0, 300.0)], info, steps=10)
    assert text.startswith("## Training: slimc train against a hand-written step")
    assert "| slimc train | 300 | 300, 290, 320 |" in text
    assert "runs at **97%** of the hand-written loop's rate" in text and "**met**" in text
    slow = bench_train.markdown([(200.0, 310.0)], info, steps=10)
    assert "**not met**" in slow


def test_symbolic_benchmark_at_toy_size(capsys):
    from benchmarks import bench_symbolic
    assert bench_symbolic.main(["--repeat", "1", "--units", "1", "--no-write"]) == 0
    out = capsys.readouterr().out
    assert "| unet (symbolic H, W) | 44 | 2 |" in out
    assert "| residual (concrete 32x32) | 44 |" in out
