"""Name-based checkpoints, as TF-Slim's Saver writes them, written so that none is ever torn.

A checkpoint is TensorFlow's V2 bundle (``model.ckpt-STEP.index`` and
``model.ckpt-STEP.data-00000-of-00001``) keyed by variable name: the model's variables under
TF-Slim's names, ``global_step`` (int64), the optimizer's slots under TF1's names, moving
averages, and slimc's data position (``slimc/epoch``, ``slimc/epoch_batches``). The
``checkpoint`` file beside them is the ``CheckpointState`` text TF1's Saver keeps, so
``tf.train.latest_checkpoint``, ``tf.compat.v1.train.Saver.restore``,
``slim.assign_from_checkpoint_fn`` and ``load_slim_checkpoint`` all read the directory.

Writing one, in an order that a kill at any instant leaves harmless:

1. the bundle is written under a temporary prefix (``.slimc-tmp-PID-model.ckpt-STEP``), its
   files flushed to disk and renamed to the final names (data first, index last);
2. the ``checkpoint`` file is replaced atomically (temporary file, fsync, rename): this is
   the commit point. Until it happens readers and resumed runs use the previous checkpoint;
3. checkpoints beyond the newest ``keep`` are deleted.

Leftover temporary files of killed runs are removed when a run starts.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
from collections.abc import Iterable
from typing import Any

from .files import fsync_dir, fsync_file, write_text

STATE_FILE = "checkpoint"
PREFIX = "model.ckpt"
TEMP_MARK = ".slimc-tmp-"


class CheckpointError(Exception):
    """A checkpoint that cannot be read or does not fit the model."""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def read_state(directory: str) -> list[str]:
    """The checkpoint prefixes the ``checkpoint`` file lists, oldest first, as paths."""
    path = os.path.join(directory, STATE_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    entries = re.findall(r'^all_model_checkpoint_paths:\s*"((?:[^"\\]|\\.)*)"', text, re.M)
    latest = re.findall(r'^model_checkpoint_path:\s*"((?:[^"\\]|\\.)*)"', text, re.M)
    names = [_unquote(e) for e in entries]
    if latest and _unquote(latest[0]) not in names:
        names.append(_unquote(latest[0]))
    return [n if os.path.isabs(n) else os.path.join(directory, n) for n in names]


def write_state(directory: str, prefixes: list[str]) -> None:
    """Replace the ``checkpoint`` file atomically (newest last in ``prefixes``)."""
    rel = [os.path.relpath(p, directory) if os.path.dirname(os.path.abspath(p)) ==
           os.path.abspath(directory) else p for p in prefixes]
    lines = [f"model_checkpoint_path: {_quote(rel[-1])}"]
    lines += [f"all_model_checkpoint_paths: {_quote(p)}" for p in rel]
    write_text(os.path.join(directory, STATE_FILE), "\n".join(lines) + "\n")


def bundle_files(prefix: str) -> list[str]:
    """The files of the bundle ``prefix`` that exist."""
    return sorted(glob.glob(glob.escape(prefix) + ".data-*") +
                  glob.glob(glob.escape(prefix) + ".index") +
                  glob.glob(glob.escape(prefix) + ".meta"))


def resolve(path: str) -> str:
    """A checkpoint prefix for a prefix or a directory (its latest checkpoint)."""
    if os.path.isdir(path):
        listed = [p for p in read_state(path) if os.path.exists(p + ".index")]
        if listed:
            return listed[-1]
        found = sorted(glob.glob(os.path.join(glob.escape(path), "*.index")),
                       key=os.path.getmtime)
        if not found:
            raise CheckpointError(f"{path}: no checkpoint in this directory")
        return found[-1][: -len(".index")]
    if os.path.exists(path + ".index"):
        return path
    if path.endswith(".index") and os.path.exists(path):
        return path[: -len(".index")]
    raise CheckpointError(f"{path}: no such checkpoint (expected {path}.index)")


def open_reader(tf: Any, prefix: str) -> Any:
    """TensorFlow's reader of ``prefix`` (raises :class:`CheckpointError`)."""
    try:
        return tf.train.load_checkpoint(prefix)
    except (tf.errors.OpError, ValueError) as exc:
        raise CheckpointError(f"{prefix}: unreadable checkpoint: "
                              f"{str(getattr(exc, 'message', exc)).splitlines()[0]}") from None


class CheckpointDir:
    """The checkpoints of one training directory."""

    def __init__(self, directory: str, keep: int = 5):
        self.directory = directory
        self.keep = max(keep, 1)

    def clean_temporaries(self) -> None:
        """Remove what killed runs left half-written (temporary bundles and state files)."""
        for path in glob.glob(os.path.join(glob.escape(self.directory), TEMP_MARK + "*")) + \
                glob.glob(os.path.join(glob.escape(self.directory), "." + STATE_FILE + ".*")):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def listed(self) -> list[str]:
        """The committed checkpoints, oldest first."""
        return [p for p in read_state(self.directory) if os.path.exists(p + ".index")]

    def latest(self, tf: Any) -> tuple[str, Any] | None:
        """The newest committed checkpoint that reads, with its reader (None if there is none)."""
        problems = []
        for prefix in reversed(self.listed()):
            try:
                return prefix, open_reader(tf, prefix)
            except CheckpointError as exc:
                problems.append(str(exc))
        if problems:
            raise CheckpointError("no readable checkpoint: " + "; ".join(problems))
        return None

    def save(self, tf: Any, values: dict[str, Any], step: int) -> str:
        """Write ``values`` (name -> tensor) as ``model.ckpt-STEP`` and commit it."""
        final = os.path.join(self.directory, f"{PREFIX}-{step}")
        temp = os.path.join(self.directory, f"{TEMP_MARK}{os.getpid()}-{PREFIX}-{step}")
        names = sorted(values)
        tf.raw_ops.SaveV2(prefix=temp, tensor_names=names, shape_and_slices=[""] * len(names),
                          tensors=[values[n] for n in names])
        parts = bundle_files(temp)
        for part in parts:
            fsync_file(part)
        # data first, the index last: an index is what makes a bundle look complete
        for part in sorted(parts, key=lambda p: p.endswith(".index")):
            os.replace(part, final + part[len(temp):])
        fsync_dir(self.directory)
        kept = [p for p in self.listed() if p != final][-(self.keep - 1):] \
            if self.keep > 1 else []
        write_state(self.directory, [*kept, final])
        self._delete_old(set(kept) | {final})
        return final

    def _delete_old(self, kept: Iterable[str]) -> None:
        kept = set(kept)
        pattern = os.path.join(glob.escape(self.directory), f"{PREFIX}-*.index")
        for index in glob.glob(pattern):
            prefix = index[: -len(".index")]
            if prefix not in kept and re.fullmatch(r".*-\d+", prefix):
                for part in bundle_files(prefix):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(part)


def restore(tf: Any, reader: Any, variables: dict[str, Any], prefix: str) -> None:
    """Assign every variable of ``variables`` (name -> variable) from ``reader``.

    Raises :class:`CheckpointError` listing what is missing or shaped differently, before
    assigning anything.
    """
    shapes = reader.get_variable_to_shape_map()
    missing = sorted(n for n in variables if n not in shapes)
    wrong = sorted(f"{n}: checkpoint {shapes[n]}, here {list(v.shape)}"
                   for n, v in variables.items()
                   if n in shapes and list(shapes[n]) != list(v.shape))
    if missing or wrong:
        lines = [f"{prefix} does not fit this training run:"]
        if missing:
            lines.append(f"  missing from the checkpoint ({len(missing)}): "
                         + ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else ""))
        if wrong:
            lines.append(f"  shape mismatch ({len(wrong)}): " + "; ".join(wrong[:8]))
        raise CheckpointError("\n".join(lines))
    for name, var in variables.items():
        var.assign(tf.cast(reader.get_tensor(name), var.dtype))
