"""Killed at any moment, resumed by the same command: 20 SIGKILLs at random instants (start-up,
steps, checkpoint writes, which happen every other step here), each run resumed until it
finishes. After every kill each listed checkpoint reads, and every resumed run ends with
weights bit-identical to an uninterrupted run's (deterministic kernels; dropout reseeded at
checkpoints).

The runs are real processes forked from the zygote, so a kill ends one process as it would end
``slimc train`` started from a shell."""

from __future__ import annotations

import random

import numpy as np
import pytest
from trainkit import TINY

pytestmark = pytest.mark.slow

KILLS = 20
STEPS = 12
RUN = ["--steps", str(STEPS), "--batch-size", "16", "--optimizer", "momentum",
       "--learning-rate", "0.01", "--moving-average-decay", "0.9", "--save-every", "3",
       "--keep", "3", "--summary-every", "0", "--deterministic", "--num-samples", "64"]


def _argv(digits, train_dir):
    return ["train", str(TINY), "--data", str(digits / "digits_train-*"), "--train-dir",
            str(train_dir), *RUN]


def _readable(tf, train_dir) -> int:
    """Check every checkpoint the state file lists; returns the newest step (0: none yet)."""
    state = train_dir / "checkpoint"
    if not state.exists():
        return 0
    prefixes = [line.split('"')[1] for line in state.read_text().splitlines()
                if line.startswith("all_model_checkpoint_paths")]
    assert prefixes and len(prefixes) <= 3
    step = 0
    for prefix in prefixes:
        reader = tf.train.load_checkpoint(str(train_dir / prefix))
        names = reader.get_variable_to_shape_map()
        assert "global_step" in names and "Tiny/conv1/weights/Momentum" in names
        step = int(reader.get_tensor("global_step"))
        assert prefix == f"model.ckpt-{step}"
    return step


def _weights(tf, train_dir) -> dict:
    reader = tf.train.load_checkpoint(str(train_dir))
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map()}


def test_sigkill_at_random_instants_then_resume(tf, zygote, digits, tmp_path):
    status, _, err = zygote.run(_argv(digits, tmp_path / "reference"), tmp_path, "reference")
    assert status == 0, err
    want = _weights(tf, tmp_path / "reference")
    rng = random.Random(15)
    kills = finished = 0
    runs: list[str] = []
    folder = None
    while kills < KILLS:
        if folder is None:
            folder = tmp_path / f"killed{finished}"
        name = f"run{len(runs)}"
        runs.append(name)
        # start-up (compile, trace, first batches) takes most of a short run: kill anywhere
        # from just after the fork to past the usual end
        status, _, err = zygote.run(_argv(digits, folder), tmp_path, name,
                                    kill_after=rng.uniform(0.05, 4.0))
        assert status in (0, -9), err
        assert "error" not in err.lower(), err
        reached = _readable(tf, folder)
        if status == -9:
            kills += 1
            print(f"kill {kills}: {folder.name}, last checkpoint at step {reached}")
        if status == 0 or (kills % 5 == 0 and status == -9):
            if status != 0:  # resume to the end
                status, _, err = zygote.run(_argv(digits, folder), tmp_path, name + "_end")
                assert status == 0, err
                assert ("resuming from" in err) == (reached > 0), err
            got = _weights(tf, folder)
            assert sorted(got) == sorted(want)
            for key, value in want.items():
                np.testing.assert_array_equal(got[key], value, err_msg=f"{folder}: {key}")
            assert not list(folder.glob(".slimc-tmp-*"))  # a finished run leaves no temporaries
            assert len(list(folder.glob("model.ckpt-*.index"))) <= 3  # keep-N
            finished += 1
            folder = None
    assert kills == KILLS and finished >= 4
