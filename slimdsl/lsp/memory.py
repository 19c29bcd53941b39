"""Keeping Python's cyclic garbage collector out of the way of an edit.

An open 10,000-layer file is a heap of about a million objects (trees, graphs, checkpoints),
and the collector's full collections walk all of them (~0.3 s each); an edit that allocates a
lot (a line added in the middle re-lowers the rest of the model) triggers several. So once an
edit's diagnostics are published, :meth:`Collector.settled` moves every object alive to the
collector's permanent generation (``gc.freeze()``, which costs nothing): the automatic
collections during the next edit look only at what that edit allocates. The cyclic garbage
among the frozen objects (graphs an edit replaced) is collected in full when the changes have
paused for :data:`IDLE` seconds (:meth:`Collector.collect`), or when the process's memory has
grown :data:`GROWTH` times since the last full collection.
"""

from __future__ import annotations

import asyncio
import gc
import os

#: Seconds without a change before the frozen garbage is collected.
IDLE = 2.0
#: A full collection also runs when the process's memory grew this many times since the last
#: (where it can be read: Linux), or after this many edits without a pause (elsewhere).
GROWTH = 2
EDITS = 200


def resident() -> int | None:
    """The process's resident memory in bytes (None where /proc is not there); cheap, unlike
    ``gc.get_freeze_count()``, which walks every frozen object."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class Collector:
    """When the server's garbage is collected (see the module's docstring)."""

    def __init__(self) -> None:
        self._timer: asyncio.TimerHandle | None = None
        self._memory: int | None = None  # resident memory after the last full collection
        self._edits = 0  # settled() calls since the last full collection
        self.full = 0  # full collections made (for the tests)

    def settled(self) -> None:
        """The server published an edit's diagnostics: freeze what is alive, and collect in
        full once the changes pause (or now, when memory has grown too much since)."""
        gc.freeze()
        self._edits += 1
        now = resident()
        if self._memory is None:  # the first document's heap is the measure
            self._memory = now
        elif (now is not None and now > GROWTH * self._memory) or \
                (now is None and self._edits > EDITS):
            self.collect()
            return
        self.busy()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (called directly): at the next pause that has one
            return
        self._timer = loop.call_later(IDLE, self.collect)

    def busy(self) -> None:
        """A change arrived: no full collection until the changes pause again."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def collect(self) -> None:
        """Collect every generation, the frozen objects included; freeze the survivors."""
        self._timer = None
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self._memory = resident()
        self._edits = 0
        self.full += 1
