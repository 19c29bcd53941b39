"""The server keeps the garbage collector's full collections out of an edit
(:mod:`slimdsl.lsp.memory`): what is alive once an edit's diagnostics are published is frozen,
and the garbage among it is collected when the changes pause."""

from __future__ import annotations

import asyncio
import gc
import weakref

from slimdsl.lsp import memory


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_frozen_garbage_is_collected_when_the_changes_pause(monkeypatch):
    monkeypatch.setattr(memory, "IDLE", 0.05)
    collector = memory.Collector()

    async def session() -> tuple[bool, bool, bool]:
        cycle = Cycle()
        alive = weakref.ref(cycle)
        collector.settled()  # published: the cycle is frozen
        frozen = gc.get_freeze_count() > 0
        del cycle
        gc.collect()  # an automatic collection does not look at frozen objects
        kept = alive() is not None
        collector.busy()  # a change: no full collection yet
        await asyncio.sleep(0.1)
        waited = alive() is not None and collector.full == 0
        collector.settled()
        await asyncio.sleep(0.2)  # the pause
        return frozen and kept, waited, alive() is None

    try:
        frozen, waited, collected = asyncio.run(session())
    finally:
        gc.unfreeze()
    assert frozen and waited and collected and collector.full == 1


def test_memory_grown_without_a_pause_is_collected_at_once(monkeypatch):
    sizes = iter([100, 150, 250, 260])
    monkeypatch.setattr(memory, "resident", lambda: next(sizes))
    collector = memory.Collector()
    try:
        collector.settled()  # 100: the first heap is the measure
        collector.settled()  # 150: not twice as much
        assert collector.full == 0
        collector.settled()  # 250: collected (then 260 is the new measure)
        assert collector.full == 1
    finally:
        gc.unfreeze()
