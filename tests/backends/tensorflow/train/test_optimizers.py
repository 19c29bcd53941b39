"""slimc train's optimizers, schedules and moving averages against TF1's own (the oracle): the
same values after several steps, and the same variable names in a checkpoint."""

from __future__ import annotations

import numpy as np
import pytest

from slimdsl.backends.tensorflow.train.optimizers import (
    DEFAULTS,
    OPTIMIZERS,
    MovingAverages,
    Schedule,
    make_optimizer,
)

INIT = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], np.float32)
GRADS = [np.array(g, np.float32) for g in (
    [[0.1, -0.2], [0.3, 0.0], [-0.5, 0.25]],
    [[-0.4, 0.1], [0.2, 0.6], [0.05, -0.3]],
    [[0.3, 0.3], [-0.1, -0.2], [0.4, 0.1]],
)]
LR = 0.05


def _tf1_optimizer(v1, name: str):
    p = DEFAULTS
    return {
        "sgd": lambda: v1.train.GradientDescentOptimizer(LR),
        "momentum": lambda: v1.train.MomentumOptimizer(LR, p["momentum"]),
        "rmsprop": lambda: v1.train.RMSPropOptimizer(
            LR, decay=p["rmsprop_decay"], momentum=p["rmsprop_momentum"],
            epsilon=p["opt_epsilon"]),
        "adam": lambda: v1.train.AdamOptimizer(LR, p["adam_beta1"], p["adam_beta2"],
                                               p["opt_epsilon"]),
        "adagrad": lambda: v1.train.AdagradOptimizer(
            LR, initial_accumulator_value=p["adagrad_initial_accumulator_value"]),
        "adadelta": lambda: v1.train.AdadeltaOptimizer(LR, rho=p["adadelta_rho"],
                                                       epsilon=p["opt_epsilon"]),
        "ftrl": lambda: v1.train.FtrlOptimizer(
            LR, learning_rate_power=p["ftrl_learning_rate_power"],
            initial_accumulator_value=p["ftrl_initial_accumulator_value"],
            l1_regularization_strength=p["ftrl_l1"], l2_regularization_strength=p["ftrl_l2"]),
    }[name]()


def _tf1_run(tf, name: str) -> dict[str, np.ndarray]:
    """Every variable after the steps, by name, from TF1's optimizer in a graph."""
    v1 = tf.compat.v1
    with tf.Graph().as_default():
        var = v1.get_variable("net/w", initializer=INIT, use_resource=True)
        grad = v1.placeholder(tf.float32, INIT.shape)
        train = _tf1_optimizer(v1, name).apply_gradients([(grad, var)])
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for g in GRADS:
                sess.run(train, {grad: g})
            return {v.op.name: sess.run(v) for v in v1.global_variables()}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_matches_tf1(tf, name):
    want = _tf1_run(tf, name)
    opt = make_optimizer(name, {})
    var = tf.Variable(INIT)
    made = opt.create(tf, {"net/w": var})
    for g in GRADS:
        opt.apply(tf, var, tf.constant(g), tf.constant(LR), *opt.slots["net/w"])
        opt.finish(tf)
    got = {"net/w": var.numpy(), **{k: v.numpy() for k, v in made.items()}}
    assert sorted(got) == sorted(want), "checkpoint names differ from TF1's"
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-6, atol=1e-7, err_msg=key)


@pytest.mark.parametrize("kind", ["exponential", "polynomial", "fixed"])
def test_schedules_match_tf1(tf, kind):
    v1 = tf.compat.v1
    schedule = Schedule(kind, 0.1, decay_steps=7, decay_factor=0.5, end_learning_rate=0.001)
    for step in (0, 3, 7, 13, 20, 100):
        s = tf.constant(step, tf.int64)
        if kind == "exponential":
            want = v1.train.exponential_decay(0.1, s, 7, 0.5, staircase=True)()
        elif kind == "polynomial":
            want = v1.train.polynomial_decay(0.1, s, 7, 0.001, power=1.0, cycle=False)()
        else:
            want = 0.1
        np.testing.assert_allclose(float(schedule(tf, s)), float(want), rtol=1e-6)


def test_moving_averages_match_tf1(tf):
    v1 = tf.compat.v1
    values = [INIT + k for k in range(4)]
    with tf.Graph().as_default():
        var = v1.get_variable("net/w", initializer=INIT, use_resource=True)
        step = v1.placeholder(tf.int64, [])
        ema = v1.train.ExponentialMovingAverage(0.9, num_updates=step)
        update = ema.apply([var])
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for k, value in enumerate(values):
                var.load(value, sess)
                sess.run(update, {step: k})
            want = {v.op.name: sess.run(v) for v in v1.global_variables()}
    averages = MovingAverages(0.9)
    var = tf.Variable(INIT)
    made = averages.create(tf, {"net/w": var})
    for k, value in enumerate(values):
        var.assign(value)
        MovingAverages.update(tf, averages.shadows["net/w"], var, averages.rate(tf, k))
    assert sorted(made) == sorted(n for n in want if n != "net/w")
    for name, shadow in made.items():
        np.testing.assert_allclose(shadow.numpy(), want[name], rtol=1e-6)
