"""Optimizers, learning-rate schedules and moving averages as train_image_classifier.py names
them, with TF1's update rules and TF1's variable names.

Each optimizer applies TensorFlow's own fused kernels (``ResourceApplyMomentum``,
``ResourceApplyRMSProp``, ``ResourceApplyAdam``...), the ones ``tf.compat.v1.train``'s
optimizers run, and keeps its state in variables named as TF1 names its slots
(``LeNet/conv1/weights/Momentum``, ``.../RMSProp`` and ``.../RMSProp_1``, ``.../Adam`` and
``.../Adam_1`` with ``beta1_power`` / ``beta2_power``), so a checkpoint written here resumes in
TF-Slim and the other way round. Under tf.distribute the slots are mirrored like the weights and
every update runs on each device's copy (:meth:`Optimizer.apply` is the per-device function).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: train_image_classifier.py's optimizer flags and defaults.
DEFAULTS: dict[str, float] = {
    "momentum": 0.9, "rmsprop_momentum": 0.9, "rmsprop_decay": 0.9, "opt_epsilon": 1.0,
    "adam_beta1": 0.9, "adam_beta2": 0.999, "adadelta_rho": 0.95,
    "adagrad_initial_accumulator_value": 0.1, "ftrl_learning_rate_power": -0.5,
    "ftrl_initial_accumulator_value": 0.1, "ftrl_l1": 0.0, "ftrl_l2": 0.0,
}


@dataclass(frozen=True)
class SlotSpec:
    """A slot: the suffix TF1 gives its variable and its initial value (0 or a constant)."""

    suffix: str
    initial: float = 0.0


@dataclass(frozen=True)
class OptimizerSpec:
    """One of train_image_classifier.py's optimizers."""

    name: str
    slots: tuple[SlotSpec, ...]
    doc: str
    powers: tuple[str, ...] = ()  # non-slot variables (Adam's beta1_power, beta2_power)


OPTIMIZERS: dict[str, OptimizerSpec] = {spec.name: spec for spec in (
    OptimizerSpec("sgd", (), "plain gradient descent (GradientDescentOptimizer)"),
    OptimizerSpec("momentum", (SlotSpec("Momentum"),),
                  "MomentumOptimizer(lr, --momentum)"),
    OptimizerSpec("rmsprop", (SlotSpec("RMSProp", 1.0), SlotSpec("RMSProp_1")),
                  "RMSPropOptimizer(lr, --rmsprop-decay, --rmsprop-momentum, --opt-epsilon)"),
    OptimizerSpec("adam", (SlotSpec("Adam"), SlotSpec("Adam_1")),
                  "AdamOptimizer(lr, --adam-beta1, --adam-beta2, --opt-epsilon)",
                  ("beta1_power", "beta2_power")),
    OptimizerSpec("adagrad", (SlotSpec("Adagrad", -1.0),),
                  "AdagradOptimizer(lr, --adagrad-initial-accumulator-value)"),
    OptimizerSpec("adadelta", (SlotSpec("Adadelta"), SlotSpec("Adadelta_1")),
                  "AdadeltaOptimizer(lr, --adadelta-rho, --opt-epsilon)"),
    OptimizerSpec("ftrl", (SlotSpec("Ftrl", -1.0), SlotSpec("Ftrl_1")),
                  "FtrlOptimizer(lr, --ftrl-learning-rate-power, --ftrl-initial-accumulator-"
                  "value, --ftrl-l1, --ftrl-l2)"),
)}

DECAY_TYPES = ("exponential", "fixed", "polynomial")


@dataclass
class Optimizer:
    """An optimizer's hyper-parameters and the variables it keeps, by checkpoint name."""

    spec: OptimizerSpec
    params: dict[str, float] = field(default_factory=lambda: dict(DEFAULTS))
    slots: dict[str, list[Any]] = field(default_factory=dict)  # variable name -> slot vars
    powers: dict[str, Any] = field(default_factory=dict)

    def slot_initial(self, slot: SlotSpec) -> float:
        if slot.initial >= 0.0:
            return slot.initial
        key = f"{self.spec.name}_initial_accumulator_value"  # adagrad, ftrl
        return self.params[key]

    def create(self, tf: Any, variables: dict[str, Any]) -> dict[str, Any]:
        """Make the slots of ``variables`` (name -> variable; call under the strategy's scope).

        Returns every variable made, by the name TF1 gives it.
        """
        made = {}
        for name, var in variables.items():
            self.slots[name] = []
            for slot in self.spec.slots:
                value = tf.fill(var.shape, tf.cast(self.slot_initial(slot), var.dtype))
                slot_var = tf.Variable(value, trainable=False, name=f"{name}/{slot.suffix}")
                self.slots[name].append(slot_var)
                made[f"{name}/{slot.suffix}"] = slot_var
        for power, beta in zip(self.spec.powers, ("adam_beta1", "adam_beta2")):
            self.powers[power] = tf.Variable(self.params[beta], dtype=tf.float32,
                                             trainable=False, name=power)
            made[power] = self.powers[power]
        return made

    def apply(self, tf: Any, var: Any, grad: Any, lr: Any, *slots: Any) -> Any:
        """The update of one variable on one device (``var`` and ``slots`` that device's)."""
        p, raw, name = self.params, tf.raw_ops, self.spec.name
        lr = tf.cast(lr, var.dtype)

        def c(key: str) -> Any:
            return tf.constant(p[key], var.dtype)

        if name == "sgd":
            return raw.ResourceApplyGradientDescent(var=var.handle, alpha=lr, delta=grad)
        if name == "momentum":
            return raw.ResourceApplyMomentum(var=var.handle, accum=slots[0].handle, lr=lr,
                                             grad=grad, momentum=c("momentum"))
        if name == "rmsprop":
            return raw.ResourceApplyRMSProp(
                var=var.handle, ms=slots[0].handle, mom=slots[1].handle, lr=lr,
                rho=c("rmsprop_decay"), momentum=c("rmsprop_momentum"),
                epsilon=c("opt_epsilon"), grad=grad)
        if name == "adam":
            return raw.ResourceApplyAdam(
                var=var.handle, m=slots[0].handle, v=slots[1].handle,
                beta1_power=tf.cast(self.powers["beta1_power"], var.dtype),
                beta2_power=tf.cast(self.powers["beta2_power"], var.dtype), lr=lr,
                beta1=c("adam_beta1"), beta2=c("adam_beta2"), epsilon=c("opt_epsilon"),
                grad=grad)
        if name == "adagrad":
            return raw.ResourceApplyAdagrad(var=var.handle, accum=slots[0].handle, lr=lr,
                                            grad=grad)
        if name == "adadelta":
            return raw.ResourceApplyAdadelta(
                var=var.handle, accum=slots[0].handle, accum_update=slots[1].handle, lr=lr,
                rho=c("adadelta_rho"), epsilon=c("opt_epsilon"), grad=grad)
        return raw.ResourceApplyFtrl(
            var=var.handle, accum=slots[0].handle, linear=slots[1].handle, grad=grad, lr=lr,
            l1=c("ftrl_l1"), l2=c("ftrl_l2"), lr_power=c("ftrl_learning_rate_power"))

    def finish(self, tf: Any) -> list[Any]:
        """What runs once per step after every update (Adam's beta powers)."""
        return [self.powers[power].assign(self.powers[power] * self.params[beta])
                for power, beta in zip(self.spec.powers, ("adam_beta1", "adam_beta2"))]


@dataclass(frozen=True)
class Schedule:
    """train_image_classifier.py's _configure_learning_rate."""

    kind: str  # exponential | fixed | polynomial
    learning_rate: float
    decay_steps: int = 1
    decay_factor: float = 0.94
    end_learning_rate: float = 0.0001

    def __call__(self, tf: Any, step: Any) -> Any:
        lr = tf.constant(self.learning_rate, tf.float32)
        if self.kind == "fixed":
            return lr
        step = tf.cast(step, tf.float32)
        steps = float(max(self.decay_steps, 1))
        if self.kind == "exponential":  # staircase=True
            return lr * tf.pow(self.decay_factor, tf.floor(step / steps))
        done = tf.minimum(step, steps) / steps  # polynomial, power 1, no cycle
        return (self.learning_rate - self.end_learning_rate) * (1.0 - done) + \
            self.end_learning_rate


def decay_steps(num_samples: int, batch_size: int, epochs_per_decay: float) -> int:
    """``int(num_samples * epochs_per_decay / batch_size)``, as train_image_classifier.py."""
    return max(int(num_samples * epochs_per_decay / batch_size), 1)


@dataclass
class MovingAverages:
    """``tf.train.ExponentialMovingAverage(decay, num_updates=global_step)`` of the model's
    variables, in variables named ``<variable>/ExponentialMovingAverage``."""

    decay: float
    shadows: dict[str, Any] = field(default_factory=dict)

    def create(self, tf: Any, variables: dict[str, Any]) -> dict[str, Any]:
        for name, var in variables.items():
            self.shadows[name] = tf.Variable(tf.identity(var.read_value()), trainable=False,
                                             name=f"{name}/ExponentialMovingAverage")
        return {f"{name}/ExponentialMovingAverage": v for name, v in self.shadows.items()}

    def rate(self, tf: Any, step: Any) -> Any:
        """``1 - min(decay, (1 + step) / (10 + step))``."""
        step = tf.cast(step, tf.float32)
        return 1.0 - tf.minimum(self.decay, (1.0 + step) / (10.0 + step))

    @staticmethod
    def update(tf: Any, shadow: Any, value: Any, rate: Any) -> Any:
        """One device's shadow moves towards ``value``."""
        return shadow.assign_sub((shadow - tf.cast(value, shadow.dtype)) * rate)


def make_optimizer(name: str, params: dict[str, float]) -> Optimizer:
    """The optimizer ``name`` with ``params`` over :data:`DEFAULTS`."""
    merged = dict(DEFAULTS)
    merged.update(params)
    return Optimizer(OPTIMIZERS[name], merged)

