"""tf.distribute for ``slimc train``: the strategy and the devices it runs on.

- ``default``: one device (``--device cpu``, ``gpu:1``...; default: the first GPU, else the CPU).
- ``mirrored``: ``MirroredStrategy`` over ``--device`` (a comma-separated list; default: every
  GPU, else the CPU). CPU devices beyond the first are made by splitting the CPU into logical
  devices, so ``--device cpu:0,cpu:1`` runs two replicas on a CPU-only machine (useful to test
  what will run on several GPUs).
- ``multi-worker``: ``MultiWorkerMirroredStrategy`` across the processes that ``TF_CONFIG``
  describes (``{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type":
  "worker", "index": 0}}``); each process runs the same command, worker 0 (the chief) writes
  checkpoints and summaries.

Everything here runs before TensorFlow's runtime starts: logical devices and collective
communication can only be configured then.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

STRATEGIES = ("default", "mirrored", "multi-worker")
#: The most logical CPU devices --device may ask for.
MAX_CPU_SPLIT = 64


class DeviceError(Exception):
    """A device or a distribution setup that cannot be had; the message says what exists."""


@dataclass
class Placement:
    """The strategy and what it runs on."""

    strategy: Any
    kind: str
    devices: list[str]  # this worker's devices
    workers: int = 1
    worker_index: int = 0

    @property
    def is_chief(self) -> bool:
        return self.worker_index == 0

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)


def parse_devices(text: str | None) -> list[tuple[str, int]]:
    """``cpu:0,gpu:1`` -> ``[("CPU", 0), ("GPU", 1)]`` (raises :class:`DeviceError`)."""
    if not text:
        return []
    out = []
    for part in (p.strip() for p in text.split(",")):
        m = re.fullmatch(r"(?:/?(?:device:)?)(cpu|gpu)(?::(\d+))?", part, re.IGNORECASE)
        if not m:
            raise DeviceError(f"'{part}' is not a device; use cpu, cpu:1, gpu, gpu:1 "
                              f"(comma-separated for several)")
        device = (m.group(1).upper(), int(m.group(2) or 0))
        if device in out:
            raise DeviceError(f"device {part} is listed twice")
        out.append(device)
    return out


def _physical(tf: Any) -> dict[str, int]:
    return {kind: len(tf.config.list_physical_devices(kind)) for kind in ("CPU", "GPU")}


def _configure_cpus(tf: Any, wanted: list[tuple[str, int]]) -> None:
    """Split the CPU into logical devices when more CPU devices are asked for than exist."""
    top = max((i for kind, i in wanted if kind == "CPU"), default=0)
    if top == 0:
        return
    if top >= MAX_CPU_SPLIT:
        raise DeviceError(f"cpu:{top}: at most {MAX_CPU_SPLIT} logical CPU devices")
    cpus = tf.config.list_physical_devices("CPU")
    if len(cpus) > top:
        return
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration()] * (top + 1))
    except RuntimeError as exc:  # the runtime already started
        raise DeviceError(f"cannot split the CPU into {top + 1} devices now: {exc}") from None


def _check_available(tf: Any, wanted: list[tuple[str, int]]) -> None:
    counts = _physical(tf)
    for kind, index in wanted:
        if kind == "GPU" and index >= counts["GPU"]:
            seen = ", ".join(f"{k.lower()} x{n}" for k, n in counts.items() if n) or "none"
            raise DeviceError(f"device gpu:{index} is not available (physical devices: "
                              f"{seen})")


def tf_config() -> dict | None:
    """The parsed ``TF_CONFIG`` (None when unset; raises :class:`DeviceError` when bad)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return None
    try:
        config = json.loads(raw)
        workers = config["cluster"]["worker"]
        task = config["task"]
        if not isinstance(workers, list) or not workers:
            raise ValueError("cluster.worker must be a non-empty list of host:port")
        if task.get("type") not in ("worker", "chief") or not isinstance(task.get("index"), int):
            raise ValueError('task must be {"type": "worker", "index": N}')
        if task["type"] == "worker" and not 0 <= task["index"] < len(workers):
            raise ValueError(f"task index {task['index']} is not one of the "
                             f"{len(workers)} workers")
        return config
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DeviceError(f"TF_CONFIG is not a usable cluster description: {exc}") from None


def make_placement(tf: Any, kind: str, devices: str | None) -> Placement:
    """The strategy for ``--strategy kind --device devices`` (raises :class:`DeviceError`)."""
    wanted = parse_devices(devices)
    if kind == "multi-worker":
        return _multi_worker(tf, wanted)
    _configure_cpus(tf, wanted)
    _check_available(tf, wanted)
    if kind == "default":
        if len(wanted) > 1:
            raise DeviceError("--strategy default runs on one device; use --strategy "
                              "mirrored for several")
        counts = _physical(tf)
        kind_index = wanted[0] if wanted else (("GPU", 0) if counts["GPU"] else ("CPU", 0))
        name = f"/device:{kind_index[0]}:{kind_index[1]}"
        return Placement(tf.distribute.OneDeviceStrategy(name), kind, [name])
    if not wanted:
        counts = _physical(tf)
        wanted = [("GPU", i) for i in range(counts["GPU"])] or [("CPU", 0)]
    names = [f"/device:{k}:{i}" for k, i in wanted]
    cross = None
    if any(k == "CPU" for k, _ in wanted) or len(names) == 1:
        # NCCL all-reduce is for GPUs only; CPUs (and mixed lists) reduce on the host
        cross = tf.distribute.ReductionToOneDevice(reduce_to_device="/device:CPU:0")
    return Placement(tf.distribute.MirroredStrategy(names, cross_device_ops=cross), kind, names)


def _multi_worker(tf: Any, wanted: list[tuple[str, int]]) -> Placement:
    config = tf_config()
    if config is None:
        raise DeviceError("--strategy multi-worker needs TF_CONFIG, e.g. "
                          '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                          '"task": {"type": "worker", "index": 0}}')
    if len(wanted) > 1:
        raise DeviceError("--strategy multi-worker uses one device per worker (all GPUs of "
                          "a worker are used when it has GPUs); give at most one --device")
    _check_available(tf, wanted)
    options = tf.distribute.experimental.CommunicationOptions(
        implementation=tf.distribute.experimental.CommunicationImplementation.RING)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    resolver = strategy.cluster_resolver
    workers = len(config["cluster"]["worker"]) + len(config["cluster"].get("chief", []))
    index = int(resolver.task_id) + (1 if resolver.task_type == "worker" and
                                     config["cluster"].get("chief") else 0)
    devices = list(strategy.extended.worker_devices)
    return Placement(strategy, "multi-worker", devices, workers, index)
