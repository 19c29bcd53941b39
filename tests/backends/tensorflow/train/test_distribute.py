"""tf.distribute: two replicas on two logical CPUs (MirroredStrategy) and two worker processes
(MultiWorkerMirroredStrategy through TF_CONFIG) follow one device's loss curve; variables and
ops sit on the devices asked for; synchronized batch norm makes the batch statistics global."""

from __future__ import annotations

import glob
import json
import socket

import numpy as np
import pytest
from trainkit import TINY

pytestmark = pytest.mark.slow

STEPS = 12
# Tiny without dropout (masks differ per replica) and with synchronized batch norm (per-replica
# statistics would differ from one device's): every replica computes what one device would.
RUN = ["-D", "keep_prob=1.0", "--steps", str(STEPS), "--batch-size", "16", "--optimizer",
       "momentum", "--learning-rate", "0.005", "--learning-rate-decay-type", "fixed",
       "--summary-every", "1", "--sync-batch-norm", "--deterministic", "--save-every", "5"]


def _argv(digits, train_dir, *extra):
    return ["train", str(TINY), "--data", str(digits / "digits_train-*"), "--train-dir",
            str(train_dir), *RUN, *extra]


def loss_curve(tf, train_dir) -> list[float]:
    """total_loss per step from the run's TensorBoard events."""
    values = {}
    for path in glob.glob(str(train_dir / "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == "total_loss":
                    values[event.step] = float(tf.make_ndarray(value.tensor))
    return [values[k] for k in sorted(values)]


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module")
def curves(tf, zygote, digits, tmp_path_factory):
    folder = tmp_path_factory.mktemp("distribute")
    status, _, err = zygote.run(_argv(digits, folder / "one"), folder, "one")
    assert status == 0, err
    status, out, err = zygote.run(_argv(digits, folder / "mirrored", "--strategy", "mirrored",
                                        "--device", "cpu:0,cpu:1"), folder, "mirrored")
    assert status == 0, err
    assert "(mirrored, 2 replicas)" in out and "/device:CPU:0, /device:CPU:1" in out
    ports = _free_ports(2)
    pids = []
    for index in range(2):
        config = {"cluster": {"worker": [f"localhost:{p}" for p in ports]},
                  "task": {"type": "worker", "index": index}}
        pids.append(zygote.spawn(_argv(digits, folder / "workers", "--strategy", "multi-worker"),
                                 folder / f"worker{index}.out", folder / f"worker{index}.err",
                                 {"TF_CONFIG": json.dumps(config)}))
    for index, pid in enumerate(pids):
        assert zygote.wait(pid) == 0, (folder / f"worker{index}.err").read_text()
        assert "(multi-worker, 2 replicas)" in (folder / f"worker{index}.out").read_text()
    return {name: loss_curve(tf, folder / name) for name in ("one", "mirrored", "workers")}, \
        folder


def test_mirrored_follows_one_device(curves):
    runs, _ = curves
    assert len(runs["one"]) == STEPS
    np.testing.assert_allclose(runs["mirrored"], runs["one"], rtol=1e-3)
    assert runs["one"][-1] < runs["one"][0]


def test_multi_worker_follows_one_device(tf, curves):
    runs, folder = curves
    np.testing.assert_allclose(runs["workers"], runs["one"], rtol=1e-3)
    # the chief alone wrote the checkpoints; both workers hold the same values
    state = (folder / "workers" / "checkpoint").read_text()
    assert f'model_checkpoint_path: "model.ckpt-{STEPS}"' in state
    one = tf.train.load_checkpoint(str(folder / "one"))
    workers = tf.train.load_checkpoint(str(folder / "workers"))
    for name in one.get_variable_to_shape_map():
        np.testing.assert_allclose(workers.get_tensor(name), one.get_tensor(name), rtol=1e-3,
                                   atol=1e-4, err_msg=name)


@pytest.mark.parametrize("strategy,devices,expected", [
    ("mirrored", "cpu:0,cpu:1", ["CPU:0", "CPU:1"]),
    ("default", "cpu:1", ["CPU:1"]),
])
def test_variables_and_ops_sit_on_the_devices_asked_for(zygote, digits, tmp_path, strategy,
                                                        devices, expected):
    status, out, err = zygote.run([str(TINY), str(digits / "digits_train-*"),
                                   str(tmp_path / "train"), strategy, devices], tmp_path,
                                  "probe", call="placement_probe:main")
    assert status == 0, err
    report = json.loads(out)

    def short(device: str) -> str:
        return device.rsplit("device:", 1)[-1]

    for name, where in report["variables"].items():
        assert [short(d) for d in where] == expected, name
    for kind in ("Conv2D", "MatMul", "ResourceApplyMomentum"):
        assert sorted({short(d) for d in report["ops"][kind]}) == expected, kind
    if strategy == "mirrored":  # the moving statistics: synchronized on read, one per replica
        bn = report["variables"]["Tiny/conv1/BatchNorm/moving_mean"]
        assert [short(d) for d in bn] == expected
