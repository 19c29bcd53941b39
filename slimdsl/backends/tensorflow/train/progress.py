"""The training progress display: loss, accuracy, examples/s and ETA.

On a terminal it is one line redrawn in place (drawn by ``rich`` when it is installed, plain
text otherwise); elsewhere (a log file, CI) a plain line every :attr:`Progress.interval`
seconds and at the end, so logs stay readable.
"""

from __future__ import annotations

import time
from typing import Any, TextIO


def format_duration(seconds: float) -> str:
    """``75`` -> ``1:15``, ``3700`` -> ``1:01:40``."""
    seconds = max(int(round(seconds)), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Shows where a run is; :meth:`update` after every step, :meth:`close` at the end."""

    interval = 10.0  # seconds between lines when not on a terminal

    def __init__(self, out: TextIO | None, total: int, start: int, batch: int,
                 label: str = "train", use_rich: bool | None = None):
        self.out, self.total, self.start, self.batch, self.label = out, total, start, batch, label
        self.tty = bool(out is not None and getattr(out, "isatty", lambda: False)())
        self.began = self.last_line = time.monotonic()
        self.window: list[tuple[float, int]] = [(self.began, start)]
        self.rich: Any = None
        if out is not None and self.tty and use_rich is not False:
            self.rich = _rich_progress(out, total, start, label)

    def rate(self, step: int) -> float:
        """Examples per second over the last few seconds."""
        now = time.monotonic()
        self.window.append((now, step))
        while len(self.window) > 2 and now - self.window[0][0] > 10.0:
            self.window.pop(0)
        (t0, s0), (t1, s1) = self.window[0], self.window[-1]
        return (s1 - s0) * self.batch / (t1 - t0) if t1 > t0 and s1 > s0 else 0.0

    def text(self, step: int, loss: float, accuracy: float, rate: float) -> str:
        eta = (self.total - step) * self.batch / rate if rate > 0 else None
        return (f"{self.label} step {step}/{self.total}  loss {loss:.4f}  accuracy "
                f"{accuracy:.3f}  {rate:,.0f} examples/s  ETA "
                f"{format_duration(eta) if eta is not None else '?'}")

    def update(self, step: int, loss: float, accuracy: float) -> None:
        if self.out is None:
            return
        rate = self.rate(step)
        if self.rich is not None:
            self.rich[0].update(self.rich[1], completed=step,
                                info=f"loss {loss:.4f}  acc {accuracy:.3f}  {rate:,.0f} ex/s")
            return
        now = time.monotonic()
        if self.tty:
            self.out.write("\r" + self.text(step, loss, accuracy, rate) + " " * 4)
            self.out.flush()
        elif now - self.last_line >= self.interval or step == self.total:
            self.last_line = now
            self.out.write(self.text(step, loss, accuracy, rate) + "\n")
            self.out.flush()

    def note(self, message: str) -> None:
        """A line between progress updates (a checkpoint written, a resume)."""
        if self.out is None:
            return
        if self.rich is not None:
            self.rich[0].console.print(message)
        else:
            self.out.write(("\r" if self.tty else "") + message + "\n")
            self.out.flush()

    def close(self) -> None:
        if self.rich is not None:
            self.rich[0].stop()
        elif self.tty and self.out is not None:
            self.out.write("\n")
            self.out.flush()


def _rich_progress(out: TextIO, total: int, start: int, label: str) -> Any:
    """A started rich progress bar, or None when rich is not installed."""
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as RichProgress
    except ImportError:
        return None
    bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[info]}"), TextColumn("ETA"),
                       TimeRemainingColumn(), console=Console(file=out), transient=False)
    task = bar.add_task(label, total=total, completed=start, info="")
    bar.start()
    return bar, task
