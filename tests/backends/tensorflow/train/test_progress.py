"""The training progress display: plain lines in logs, one redrawn line on a terminal, rich's
bar when rich is installed; no TensorFlow needed."""

from __future__ import annotations

import io

import pytest

from slimdsl.backends.tensorflow.train.progress import Progress, format_duration


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_durations():
    assert [format_duration(s) for s in (0, 75, 3700)] == ["0:00", "1:15", "1:01:40"]


def test_a_log_gets_a_line_every_interval_and_at_the_end(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("time.monotonic", lambda: now[0])
    out = io.StringIO()
    progress = Progress(out, total=100, start=0, batch=32)
    for step in range(1, 101):
        now[0] += 0.5  # 64 examples/s
        progress.update(step, 2.0 / step, step / 100)
    progress.note("checkpoint written")
    progress.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 6  # steps 20, 40, 60, 80 (every 10 s), the last step, the note
    assert lines[0] == "train step 20/100  loss 0.1000  accuracy 0.200  64 examples/s  ETA 0:40"
    assert lines[-2].startswith("train step 100/100  loss 0.0200  accuracy 1.000")
    assert lines[-1] == "checkpoint written"


def test_a_terminal_gets_one_line_redrawn():
    out = Terminal()
    progress = Progress(out, total=3, start=0, batch=8, use_rich=False)
    for step in (1, 2, 3):
        progress.update(step, 1.0, 0.5)
    progress.close()
    text = out.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and "train step 3/3" in text


def test_rich_draws_the_bar_on_a_terminal():
    pytest.importorskip("rich")
    out = Terminal()
    progress = Progress(out, total=4, start=1, batch=8)
    assert progress.rich is not None
    for step in (2, 3, 4):
        progress.update(step, 0.25, 0.75)
    progress.note("resuming from x")
    progress.close()
    text = out.getvalue()
    assert "4/4" in text and "loss 0.2500" in text and "resuming from x" in text
