"""``slimc export``, ``slimc run --optimize`` and ``slimc graph --netron`` as a user meets them.

Bad input is exit 2 with one clear message and nothing written. The quick cases run in one
subprocess that fails if anything imports TensorFlow: they are decided before it is needed.
The slow cases export a small model to every format through the command line and check what
was written, that a failed conversion leaves an existing output alone, and Netron's server
(without opening a browser).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

import numpy as np
import pytest

from slimdsl.cli import main

SMALL = """
model small(num_classes: int = 3) {
  input images: [?, 8, 8, 3]
  arg_scope([conv2d, max_pool2d], outputs_collections="end_points") {
    conv2d(4, 3, normalizer_fn=batch_norm) as conv1
    max_pool2d(2) as pool1
  }
  flatten()
  dropout(0.5) as drop
  fully_connected(num_classes, activation_fn=none) as logits
  logits = net
  softmax(logits) as predictions
  end_point "Predictions"
  output logits = logits
}
"""

#: Cases that must fail before TensorFlow is imported: (argv after the .slim path, stderr
#: fragment). "{out}" is a fresh path in the test's folder.
EARLY_ERRORS = [
    (["-o", "{out}.onnx", "--outputs", "logits,prediction"],
     "'prediction' is neither an output nor an end point of small (did you mean "
     "'Predictions'?)"),
    (["-o", "{out}.onnx", "--input", "images=1x1x1x3"],
     "small.slim:3:17: error: --input images=[1, 1, 1, 3]: dimension 1 is declared 8, given 1 "
     "[bad-value]"),
    (["-o", "{out}.onnx", "--input", "image=1x8x8x3"],
     "the model has no input 'image' (did you mean 'images'?)"),
    (["-o", "{out}.onnx", "--input", "images=1x8x8"],
     "has rank 3, but input 'images' is declared [?, 8, 8, 3] (rank 4) [bad-value]"),
    (["-o", "{out}.onnx", "--input", "images=1xAx8x3"], "is not a shape"),
    (["-o", "{out}.onnx", "--quantize", "dynamic"], "--quantize applies to --format tflite"),
    (["-o", "{out}.tflite", "--opset", "13"], "--opset applies to --format onnx"),
    (["-o", "{out}.pb"], "cannot tell the format of"),
    (["-o", "{out}.onnx", "--checkpoint", "{out}-missing/model.ckpt"], "no such checkpoint"),
    (["-o", "{folder}"], "holds something other than a SavedModel; refusing to replace it"),
    (["-o", "{out}.tflite", "--format", "onnx", "-D", "num_classes=0"], "error"),
]

CHILD = """
import contextlib, io, json, sys
sys.modules["tf2onnx"] = None if "--no-tf2onnx" in sys.argv else sys.modules.get("tf2onnx")
from slimdsl.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    results.append([code, err.getvalue()])
assert "tensorflow" not in sys.modules, "a check imported TensorFlow"
print(json.dumps(results))
"""


def _child(argvs: list[list[str]], *flags: str) -> list[tuple[int, str]]:
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(argvs), *flags],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return [tuple(r) for r in json.loads(proc.stdout)]


def test_bad_input_is_exit_2_before_tensorflow_and_writes_nothing(tmp_path):
    src = tmp_path / "small.slim"
    src.write_text(SMALL)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    argvs = [["export", str(src)] + [a.format(out=tmp_path / "out", folder=tmp_path / "other")
                                     for a in args] for args, _ in EARLY_ERRORS]
    argvs.append(["export", str(src), "-o", str(tmp_path / "out.onnx")])  # the extra is missing
    before = sorted(p.name for p in tmp_path.rglob("*"))
    results = _child(argvs, "--no-tf2onnx")
    for (code, err), (args, fragment) in zip(results, EARLY_ERRORS):
        assert code == (1 if "num_classes=0" in args else 2), (args, err)
        assert fragment in err, (args, err)
        assert "Traceback" not in err
    code, err = results[-1]
    assert code == 2
    assert "onnx needs the optional package tf2onnx; install them with: pip install " \
           "'slimdsl[export]'" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_shape_error_from_input_shows_the_arithmetic(tmp_path, capsys):
    """A model of named sizes (any H, W) checked at the --input size: the layer that cannot
    take it is reported with the arithmetic, and nothing is written."""
    src = tmp_path / "small.slim"
    src.write_text("model small {\n  input images: [?, H, W, 3]\n"
                   "  conv2d(4, 3, padding=\"VALID\") as conv1\n  max_pool2d(2) as pool1\n"
                   "  reduce_mean([1, 2]) as pooled\n}\n")
    code = main(["export", str(src), "-o", str(tmp_path / "x.onnx"), "--input", "1x1x1x3"])
    err = capsys.readouterr().err
    assert code == 2
    assert "VALID 3x3 on 1x1: floor((1-3)/1)+1 = -1 [shape]" in err
    assert "slimc: error: small cannot take --input images=[1, 1, 1, 3] (see above)" in err
    assert not (tmp_path / "x.onnx").exists()


# ---------------------------------------------------------------------------- with TensorFlow


@pytest.fixture
def slimc(capfd):
    """``slimc`` in this process (TensorFlow is imported once for all these tests), with what
    it writes to file descriptors 1 and 2, C++ code's included."""
    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        capfd.readouterr()
        code = main(list(args))
        out, err = capfd.readouterr()
        if check:
            assert code == 0, err
        return subprocess.CompletedProcess(args, code, out, err)
    return run


@pytest.mark.slow
def test_every_format_from_the_command_line(tf, tmp_path, slimc):
    src = tmp_path / "small.slim"
    src.write_text(SMALL)
    x = np.random.default_rng(0).uniform(size=(2, 8, 8, 3)).astype(np.float32)
    out = slimc("export", str(src), "-o", str(tmp_path / "sm"), "--outputs",
                 "logits,Predictions,conv1").stdout
    assert "wrote" in out and "(SavedModel," in out
    assert "outputs:   logits [?, 3], Predictions [?, 3], small/conv1 [?, 8, 8, 4]" in out
    assert "weights:   initialized (random: no checkpoint given)" in out
    assert "verified:  tf.saved_model.load on a random batch of 1: max relative difference" \
        in out
    signature = tf.saved_model.load(str(tmp_path / "sm")).signatures["serving_default"]
    got = signature(images=tf.constant(x))
    assert sorted(got) == ["Predictions", "logits", "small/conv1"]
    np.testing.assert_allclose(got["Predictions"].numpy().sum(1), 1.0, rtol=1e-5)

    out = slimc("export", str(src), "-o", str(tmp_path / "m.onnx"), "--optimize",
                 "--opset", "13").stdout
    assert "(ONNX opset 13," in out and "optimized: batch norm folded into 1 layers" in out
    import onnx
    model = onnx.load(str(tmp_path / "m.onnx"))
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["slimdsl.opset"] == "13" and meta["slimdsl.model"] == "small"
    assert meta["slimdsl.optimized"] == "true"
    assert [o.name for o in model.graph.output] == ["logits"]
    assert model.opset_import[0].version == 13

    out = slimc("export", str(src), "-o", str(tmp_path / "q.tflite"), "--quantize",
                 "dynamic", "--input", "images=4x8x8x3").stdout
    assert "weights quantized to int8 (dynamic range)" in out
    assert "inputs:    images [4, 8, 8, 3] float32" in out
    assert "top-1 agreement" in out


@pytest.mark.slow
def test_a_checkpoint_is_baked_in(tf, tmp_path, slimc):
    from oracles.backend import build_generated

    src = tmp_path / "small.slim"
    src.write_text(SMALL)
    _, _, cls, _ = build_generated(SMALL, str(src))
    model = cls()
    rng = np.random.default_rng(0)
    for v in model.variables:
        v.assign(rng.uniform(0.5, 1.5, v.shape).astype(np.float32))
    prefix = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt" / "run"))
    x = rng.uniform(size=(1, 8, 8, 3)).astype(np.float32)
    want = model(tf.constant(x))[0].numpy()
    out = slimc("export", str(src), "-o", str(tmp_path / "sm"), "--checkpoint", prefix,
                 "--optimize").stdout
    assert f"weights:   restored from {prefix} (object-based checkpoint)" in out
    got = tf.saved_model.load(str(tmp_path / "sm")).signatures["serving_default"](
        images=tf.constant(x))["logits"].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5)
    bad = slimc("export", str(src), "-o", str(tmp_path / "sm2"), "--checkpoint",
                 str(tmp_path / "small.slim"), check=False)
    assert bad.returncode == 2 and "cannot read a checkpoint there" in bad.stderr
    assert not (tmp_path / "sm2").exists()


F64 = """
model f64 {
  input x: [?, 8, 8, 3] float64
  conv2d(4, 3) as conv1
  flatten()
  fully_connected(2, activation_fn=none) as logits
  output logits = net
}
"""


@pytest.mark.slow
def test_an_unconvertible_model_leaves_the_output_alone(tf, tmp_path, slimc):
    src = tmp_path / "f64.slim"
    src.write_text(F64)
    for name, message in (("old.tflite", "TFLite cannot convert f64: no TFLite builtin kernel "
                                         "for the ops BiasAdd, Conv2D, MatMul, Relu"),
                          ("old.onnx", "onnxruntime cannot run the exported f64")):
        old = tmp_path / name
        old.write_bytes(b"the previous export")
        proc = slimc("export", str(src), "-o", str(old), check=False)
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr
        assert len(proc.stderr.splitlines()) == 1  # no converter dump, no traceback
        assert old.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f64.slim", "old.onnx", "old.tflite"]


@pytest.mark.slow
def test_a_saved_model_directory_is_replaced_whole(tf, tmp_path, slimc):
    src = tmp_path / "small.slim"
    src.write_text(SMALL)
    slimc("export", str(src), "-o", str(tmp_path / "sm"), "--outputs", "Predictions")
    slimc("export", str(src), "-o", str(tmp_path / "sm"), "--no-verify")
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    assert list(loaded.signatures["serving_default"].structured_outputs) == ["logits"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sm", "small.slim"]


@pytest.mark.slow
def test_run_optimize_reports_what_it_did(tf, tmp_path, slimc):
    src = tmp_path / "small.slim"
    src.write_text(SMALL)
    out = slimc("run", str(src), "--optimize", "--device", "cpu", "--steps", "2").stdout
    assert "small on /device:CPU:0 (inference, optimized)" in out
    assert "optimized: batch norm folded into 1 layers, constants frozen" in out
    assert "end points: 3, shapes as inferred" in out
    bad = slimc("run", str(src), "--optimize", "--training", check=False)
    assert bad.returncode == 2 and "--optimize is for inference" in bad.stderr


def test_netron_needs_its_extra(tmp_path, monkeypatch, capsys):
    src = tmp_path / "small.slim"
    src.write_text(SMALL)
    monkeypatch.setitem(sys.modules, "netron", None)
    assert main(["graph", str(src), "--netron", "--no-browser"]) == 2
    assert "--netron needs the optional package netron; install them with: pip install " \
           "'slimdsl[netron]'" in capsys.readouterr().err


@pytest.mark.slow
def test_netron_serves_the_exported_model(tmp_path):
    """The real command, without a browser: it prints the address, serves the ONNX file, and
    stops (removing its temporary folder) on Ctrl-C."""
    import onnx

    src = tmp_path / "small.slim"
    src.write_text(SMALL)
    # stderr to a file: a pipe nobody reads could fill and block the server; the fault handler
    # writes every thread's stack there if the server has to be aborted (see below)
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONFAULTHANDLER": "1"}
    errors = tmp_path / "stderr.txt"
    with open(errors, "w") as stderr:
        # Ctrl-C's default action in the server, whatever this process inherited: a parent
        # that ignores SIGINT (a background job of a non-interactive shell, as a CI runner
        # may start it) passes the ignoring on, and Python then never raises
        # KeyboardInterrupt (the fault handler showed the server waiting on, unaware, in CI)
        proc = subprocess.Popen([sys.executable, "-m", "slimdsl", "graph", str(src), "--netron",
                                 "--no-browser", "--port", "0"], stdout=subprocess.PIPE,
                                stderr=stderr, text=True, env=env,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = proc.stdout.readline()
        assert "Netron is showing small" in line, errors.read_text() if proc.poll() else line
        url = line.rsplit(" at ", 1)[1].strip()
        assert url.startswith("http://localhost:")
        with urllib.request.urlopen(url + "/", timeout=30) as page:
            assert b'<meta name="file" content="/data/small.onnx">' in page.read()
        with urllib.request.urlopen(url + "/data/small.onnx", timeout=30) as data:
            model = onnx.load_from_string(data.read())
        assert [o.name for o in model.graph.output] == ["logits"]
        assert any(tmp_path.glob("slimc-netron-*"))
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)  # the fault handler prints where it hangs
            proc.wait(timeout=30)
            stacks = errors.read_text()[-6000:]
            raise AssertionError(f"no exit 60 s after Ctrl-C:\n{stacks}") from None
        assert code == 0, errors.read_text()[-6000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not any(tmp_path.glob("slimc-netron-*"))


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["saved_model", "onnx"])
def test_a_failed_verification_leaves_the_output_alone(tf, tmp_path, slimc, monkeypatch, fmt):
    """A converter that gets the numbers wrong (simulated: the runtime's answer is perturbed)
    fails the export, and what was at -o stays as it was, with no temporary left behind."""
    from slimdsl.backends.tensorflow.export import runtimes

    src = tmp_path / "small.slim"
    src.write_text(SMALL)
    out = tmp_path / ("old" if fmt == "saved_model" else "old.onnx")
    slimc("export", str(src), "-o", str(out))
    before = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*")
              if p.is_file()}
    name = {"saved_model": "run_saved_model", "onnx": "run_onnx"}[fmt]
    real = getattr(runtimes, name)
    monkeypatch.setattr(runtimes, name, lambda *args: {
        k: v * 1.01 for k, v in real(*args).items()})
    proc = slimc("export", str(src), "-o", str(out), check=False)
    assert proc.returncode == 2
    assert "verification failed:" in proc.stderr and "nothing was written" in proc.stderr
    after = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*")
             if p.is_file()}
    assert after == before


@pytest.mark.slow
def test_ctrl_c_before_netrons_wait_still_stops_the_viewer(tf, tmp_path):
    """Ctrl-C can arrive between the address being printed and Netron's own wait (which
    catches it): the viewer still stops its server and returns, as after any Ctrl-C."""
    import io
    import threading

    pytest.importorskip("netron")
    from slimdsl.api import compile_source
    from slimdsl.backends.tensorflow.export import viewer

    def ctrl_c() -> None:
        raise KeyboardInterrupt

    graph = compile_source(SMALL, str(tmp_path / "small.slim"))
    out = io.StringIO()
    try:
        url = viewer.serve(tf, graph, out, port=0, browse=False, wait=ctrl_c)
    except KeyboardInterrupt:  # must not reach pytest, which would stop the whole run
        pytest.fail("Ctrl-C escaped the viewer")
    assert url.startswith("http://localhost:") and "Netron is showing small" in out.getvalue()
    servers = [t for t in threading.enumerate() if type(t).__name__ == "_HTTPServerThread"]
    for server in servers:  # told to stop; it notices within its 0.25 s poll
        server.join(timeout=10)
    assert not any(t.is_alive() for t in servers), servers
