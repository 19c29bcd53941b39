"""Checking many files on several cores: ``slimc check models/`` hands the files to worker
processes once checking them one after the other has taken long enough to pay for them.

The results are the same, in the same order, as checking the files one by one: each file is
checked by the same function, in a process forked from this one (so it shares the parsed
imports and the parser's tables loaded so far), and comes back as a
:class:`~slimdsl.api.CheckResult` without its graphs (pickled: its path, diagnostics and
source). Serial when the files are few or quick, on one core, where the platform cannot fork,
and for whatever a worker did not send back (it died): those files are checked here.

The workers are plain ``os.fork`` children rather than a ``multiprocessing`` pool, whose
import and start-up (20-50 ms) would cost as much as it wins on a folder of a dozen files.
Each takes the next file's number from a shared pipe (so a slow file does not hold up the
others' share), and sends each result on a pipe of its own, framed by its length.
"""

from __future__ import annotations

import gc
import os
import struct
import sys
import time
from collections.abc import Callable, Iterator, Sequence

from ..api import CheckResult

#: Check files one by one for at least this long (seconds) before forking: a worker costs a
#: few milliseconds to start and to send its results back, which a folder of a few small
#: files would not win back.
SERIAL_FIRST = 0.05

#: Files handed to one set of workers: their numbers fit in the task pipe's buffer (which the
#: parent fills before it reads any result, so it must never wait for room).
MAX_BATCH = 1024
_INDEX = struct.Struct("<I")  # a file's number in the task pipe
_FRAME = struct.Struct("<IQ")  # a result's file number and pickled length


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the platform says)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def check_all(paths: Sequence[str], check: Callable[[str], CheckResult],
              serial_first: float | None = None, workers: int | None = None
              ) -> Iterator[CheckResult]:
    """``check(path)`` for every path, in order; on several cores, the files left after
    ``serial_first`` seconds of checking (default :data:`SERIAL_FIRST`) are shared by
    ``workers`` forked processes (default: one per usable core). ``check`` must return
    results that pickle small (no graphs)."""
    # more workers than cores only adds processes: checking is CPU-bound
    cores = usable_cores()
    workers = min(workers or cores, cores)
    serial_first = SERIAL_FIRST if serial_first is None else serial_first
    start = time.perf_counter()
    done = 0
    while done < len(paths):
        rest = paths[done:done + MAX_BATCH]
        if workers >= 2 and len(rest) >= 2 and "-" not in rest and hasattr(os, "fork") \
                and time.perf_counter() - start >= serial_first:
            found = forked_results(rest, check, min(workers, len(rest)))
            # anything a worker did not send (it died) is checked here, as it would have been
            yield from (found[i] if i in found else check(p) for i, p in enumerate(rest))
            done += len(rest)
            continue
        yield check(paths[done])
        done += 1


def forked_results(paths: Sequence[str], check: Callable[[str], CheckResult], workers: int
            ) -> dict[int, CheckResult]:
    """The results of ``paths`` (by index) checked by ``workers`` forked processes: every one
    they sent back."""
    import pickle  # noqa: F401 - loaded once here rather than in every worker
    import selectors  # noqa: F401 - (a check of a few files needs neither)

    sys.stdout.flush()  # a child's copy of unwritten output must not be written twice
    sys.stderr.flush()
    try:
        tasks_r, tasks_w = os.pipe()
    except OSError:  # no file descriptors left: everything is checked here
        return {}
    gc.freeze()  # the children's collector leaves the shared heap alone (no copy on write)
    children: dict[int, int] = {}  # result pipe -> pid
    try:
        for _ in range(workers):
            try:
                results_r, results_w = os.pipe()
            except OSError:  # no file descriptors left: fewer workers (or none)
                break
            try:
                pid = os.fork()
            except OSError:  # no more processes: fewer workers (or none: all checked here)
                os.close(results_r)
                os.close(results_w)
                break
            if pid == 0:  # the worker: never returns into the caller's code
                os.close(results_r)
                os.close(tasks_w)
                _work(paths, check, tasks_r, results_w)
            os.close(results_w)
            children[results_r] = pid
        os.close(tasks_r)
        tasks_r = -1
        # each number is written whole (a pipe write of < 4 KiB is atomic), so a worker's
        # read of one number's bytes never gets half of it
        numbers = [_INDEX.pack(i) for i in range(len(paths))] if children else []
        for i in range(0, len(numbers), 512):
            os.write(tasks_w, b"".join(numbers[i:i + 512]))
    except BrokenPipeError:  # every worker is gone before taking all the files
        pass
    finally:
        gc.unfreeze()
        if tasks_r >= 0:
            os.close(tasks_r)
        os.close(tasks_w)  # end of tasks: a worker stops at the end of the pipe
    return _collect(children)


def _work(paths: Sequence[str], check: Callable[[str], CheckResult], tasks: int,
          results: int) -> None:
    """A worker's life: take file numbers until the pipe ends, send each result."""
    import pickle

    status = 1
    try:
        while True:
            data = os.read(tasks, _INDEX.size)
            if len(data) < _INDEX.size:
                break
            (i,) = _INDEX.unpack(data)
            body = pickle.dumps(check(paths[i]), pickle.HIGHEST_PROTOCOL)
            _write_all(results, _FRAME.pack(i, len(body)) + body)
        status = 0
    finally:
        os._exit(status)  # no atexit handlers, no second flush of the parent's buffers


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _collect(children: dict[int, int]) -> dict[int, CheckResult]:
    """Read every worker's results until its pipe closes, then reap it."""
    import pickle
    import selectors

    found: dict[int, CheckResult] = {}
    buffers = {fd: bytearray() for fd in children}
    with selectors.DefaultSelector() as selector:
        for fd in children:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            for key, _ in selector.select():
                chunk = os.read(key.fd, 1 << 20)
                if chunk:
                    buffers[key.fd] += chunk
                    continue
                selector.unregister(key.fd)
                os.close(key.fd)
    for fd, pid in children.items():
        os.waitpid(pid, 0)
        data = buffers[fd]
        at = 0
        while at + _FRAME.size <= len(data):
            i, size = _FRAME.unpack_from(data, at)
            at += _FRAME.size
            if at + size > len(data):
                break  # cut short: the worker died while sending it
            found[i] = pickle.loads(data[at:at + size])
            at += size
    return found
