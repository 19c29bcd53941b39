"""``slimc run``: device selection, inputs, shape checks against the inferred ones, timing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slimdsl import cli
from slimdsl.api import compile_source
from slimdsl.backends.tensorflow import run as br

ROOT = Path(__file__).resolve().parents[3]

TINY = """
model tiny(width: int = 4) {
  input x: [?, 6, 6, 3]
  conv2d(width, 3, normalizer_fn=batch_norm) as conv
  max_pool2d(2) as pool
  end_point
  flatten()
  dropout(0.5)
  fully_connected(2, activation_fn=none) as logits
}
"""


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.slim"
    path.write_text(TINY)
    return path


def test_device_names(tf):
    cpu = br.resolve_device(tf, "cpu")
    assert cpu.endswith("device:CPU:0")
    for spec in ("CPU", "cpu:0", "/device:CPU:0", "/job:localhost/replica:0/task:0/device:CPU:0",
                 "/cpu:0"):
        assert br.resolve_device(tf, spec) == cpu
    gpus = [d for d in br.visible_devices(tf) if "GPU" in d]
    assert br.resolve_device(tf, None) == (gpus[0] if gpus else cpu)


@pytest.mark.parametrize("spec", ["gpu:99", "cpu:3", "tpu", "/job:worker/device:CPU:0",
                                  "not a device!", "/replica:0"])
def test_unavailable_devices_are_errors_listing_the_visible_ones(tf, spec):
    with pytest.raises(br.DeviceError) as info:
        br.resolve_device(tf, spec)
    assert "visible devices: " in str(info.value) and "CPU:0" in str(info.value)


def test_run_on_cpu(tiny, capsys):
    assert cli.main(["run", str(tiny), "--device", "cpu", "--batch", "3", "--steps", "2"]) == 0
    out = capsys.readouterr()
    assert "tiny on /device:CPU:0 (inference)" in out.out
    assert "input  x: [3, 6, 6, 3]" in out.out and "output net: [3, 2]" in out.out
    graph = compile_source(TINY)
    assert f"parameters: {graph.total_params:,} ({graph.trainable_params:,} trainable)" in out.out
    assert "end points: 1, shapes as inferred" in out.out
    assert "median over 2 steps (batch 3)" in out.out and "examples/s" in out.out
    assert "timing [" in out.err and "2/2" in out.err


@pytest.mark.slow
def test_run_with_an_input_file_training_and_xla(tiny, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.ones((5, 6, 6, 3), np.float32))
    assert cli.main(["run", str(tiny), "--device", "cpu", "--input", str(tmp_path / "x.npy"),
                     "--steps", "1", "--training", "--xla", "-D", "width=3"]) == 0
    out = capsys.readouterr().out
    assert "(training, XLA)" in out and "input  x: [5, 6, 6, 3]" in out


@pytest.mark.slow
def test_run_rejects_inputs_of_the_wrong_shape(tiny, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.ones((5, 7, 6, 3), np.float32))
    assert cli.main(["run", str(tiny), "--device", "cpu", "--input",
                     str(tmp_path / "x.npy")]) == 2
    assert "does not fit input 'x' [?, 6, 6, 3]" in capsys.readouterr().err


def test_run_on_a_missing_gpu_exits_2(tf, capsys):
    """A GPU index past the ones TensorFlow sees (none here, some on a GPU runner)."""
    missing = f"gpu:{sum('GPU' in d for d in br.visible_devices(tf))}"
    assert cli.main(["run", str(ROOT / "models/vgg_16.slim"), "--device", missing]) == 2
    err = capsys.readouterr().err
    assert f"device '{missing}' is not available" in err
    assert "visible devices: " in err and "/device:CPU:0" in err


@pytest.mark.slow
def test_run_reports_compile_errors_as_diagnostics(tmp_path, capsys):
    bad = tmp_path / "bad.slim"
    bad.write_text("model m {\n  input x: [?, 4, 4, 3]\n  conv2d(2, 9, padding=\"VALID\")\n}\n")
    assert cli.main(["run", str(bad), "--device", "cpu"]) == 1
    assert "bad.slim:3:" in capsys.readouterr().err


@pytest.mark.slow
def test_a_shape_that_differs_from_the_inferred_one_is_a_slimc_bug(tf, tiny, monkeypatch,
                                                                    capsys):
    graph = compile_source(TINY)
    outputs = [tf.zeros([2, 3])]  # the inferred output is [?, 2]
    with pytest.raises(br.ShapeMismatch, match=r"output 'net': inferred \[\?, 2\], run-time"):
        br.check_shapes(graph, outputs, {"pool": tf.zeros([2, 2, 2, 4])})
    with pytest.raises(br.ShapeMismatch, match="end point 'pool'"):
        br.check_shapes(graph, [tf.zeros([2, 2])], {"pool": tf.zeros([2, 3, 2, 4])})

    from slimdsl.backends.tensorflow import codegen
    real_generate = codegen.generate

    def wrong(graph, path, **kwargs):  # a backend bug: code for another width
        return real_generate(compile_source(TINY, overrides={"width": 5}), path)
    monkeypatch.setattr(codegen, "generate", wrong)  # `slimc run` imports it when it runs
    assert cli.main(["run", str(tiny), "--device", "cpu", "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert "internal error" in err and "bug in slimc" in err


@pytest.mark.slow
def test_run_vgg_16_on_cpu(capsys):
    assert cli.main(["run", str(ROOT / "models/vgg_16.slim"), "--device", "cpu", "--batch", "2",
                     "--steps", "3"]) == 0
    out = capsys.readouterr().out
    assert "output logits: [2, 1000]" in out and "parameters: 138,357,544" in out


def test_backend_benchmark_report_format():
    from benchmarks import bench_backend as bb

    keys = [(label, what) for label, what, _, _ in bb.ROUTES]
    from collections import Counter

    result = {"name": "vgg_16", "batch": 4, "rounds": 3, "steps": 2,
              "median": {k: 0.5 for k in keys}, "best": {k: 0.4 for k in keys},
              "speedup": {k: 0.99 if k[0] == "generated" else 1.0 for k in keys},
              "quartiles": {k: [0.97, 1.02] for k in keys},
              "build": {"tf_slim": 1.0, "generated": 2.0, "generated + XLA": 3.0},
              "construct": 1.5, "trace": 0.5, "xla_compile": 1.5,
              "kernels": (Counter({"Conv": 3, "Pool": 2}), Counter({"Conv": 2, "MatMul": 1,
                                                                  "Pool": 2}))}
    info = {k: "x" for k in ("date", "cpu", "cores", "ram", "os", "python", "load", "slimdsl",
                             "lark", "tensorflow", "tf-slim", "tf-keras")}
    text = bb.markdown([result], info)
    assert text.startswith("## Backend") and "| vgg_16 | generated | logits | 4 |" in text
    assert "| 0.99x (0.97-1.02) |" in text
    assert "0.990x, vgg_16 logits (below the 1.0x target; the middle half of its rounds " \
        "spans 0.97-1.02x)" in text
    assert "vgg_16: tf_slim 5 kernels, generated 5; tf_slim only: 1 Conv; generated only: " \
        "1 MatMul." in text
    result["kernels"] = (Counter({"Conv": 3}), Counter({"Conv": 3}))
    result["speedup"] = {k: 1.5 for k in keys}
    text = bb.markdown([result], info)
    assert "vgg_16: the same 3 kernels on both routes." in text
    assert "1.500x, vgg_16 logits (target met: not slower)" in text


UNET = """
model unet {
  input x: [?, H, W, 3]
  a = conv2d(x, 4, 3)
  b = max_pool2d(a, 2)
  c = conv2d_transpose(b, 4, 3, stride=2)
  output y = concat([c, a], axis=3)
}
"""


@pytest.mark.slow
def test_generated_code_of_a_symbolic_model_runs_at_any_valid_size(tf, tmp_path, capsys):
    """The input signature keeps H and W unknown: one generated class runs at several sizes,
    each output being the summary's formula there; `slimc run --input` picks the size, and a
    size outside the valid ones is refused before TensorFlow sees it."""
    from slimdsl.backends.tensorflow.codegen import class_names, generate
    from slimdsl.symbolic import evaluate

    graph = compile_source(UNET)
    module = br.load_module(generate(graph, "unet.slim"), "unet")
    model = getattr(module, class_names([graph])[0])()
    for h, w in ((8, 6), (20, 34)):
        y, _ = model(tf.zeros([2, h, w, 3]))
        env = {"H": h, "W": w}
        assert y.shape == (2, *(evaluate(d, env) for d in graph.outputs[0].tensor.shape[1:3]), 8)
    path = tmp_path / "unet.slim"
    path.write_text(UNET)
    assert cli.main(["run", str(path), "--input", "x=[1,12,10,3]", "--steps", "1"]) == 0
    assert "output y: [1, 12, 10, 8]" in capsys.readouterr().out
    assert cli.main(["run", str(path), "--input", "x=[1,13,10,3]", "--steps", "1"]) == 1
    assert "[incompatible-shapes]" in capsys.readouterr().err
