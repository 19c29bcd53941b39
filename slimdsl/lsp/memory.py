"""Keeping Python's cyclic garbage collector out of the way of an edit.

An open 10,000-layer file is a heap of about a million objects (trees, graphs, checkpoints),
and the collector's full collections walk all of them (~0.3 s each); an edit that allocates a
lot (a line added in the middle re-lowers the rest of the model) triggers several. So once an
edit's diagnostics are published, :meth:`Collector.settled` moves every object alive to the
collector's permanent generation (``gc.freeze()``, which costs nothing): the automatic
collections during the next edit look only at what that edit allocates. The cyclic garbage
among the frozen objects (graphs an edit replaced) is collected in full when the changes have
paused for :data:`IDLE` seconds (:meth:`Collector.collect`), or when the frozen objects have
grown :data:`GROWTH` times since the last full collection.
"""

from __future__ import annotations

import asyncio
import gc

#: Seconds without a change before the frozen garbage is collected.
IDLE = 2.0
#: A full collection also runs when the frozen objects grew this many times since the last.
GROWTH = 4


class Collector:
    """When the server's garbage is collected (see the module's docstring)."""

    def __init__(self) -> None:
        self._timer: asyncio.TimerHandle | None = None
        self._collected = 0  # frozen objects after the last full collection
        self.full = 0  # full collections made (for the tests)

    def settled(self) -> None:
        """The server published an edit's diagnostics: freeze what is alive, and collect in
        full once the changes pause (or now, when the heap has grown too much since)."""
        gc.freeze()
        if not self._collected:  # the first document's heap is the measure
            self._collected = gc.get_freeze_count()
        elif gc.get_freeze_count() > GROWTH * self._collected:
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
        self._collected = gc.get_freeze_count()
        self.full += 1
