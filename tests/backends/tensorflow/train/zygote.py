"""A process that imports TensorFlow once and forks real ``slimc`` processes from it.

Importing TensorFlow takes 5-10 s on the CI machine; the kill and multi-worker tests need dozens
of separate processes (a SIGKILL ends a whole process, and MultiWorkerMirroredStrategy wants one
per worker). The zygote imports TensorFlow and slimdsl but never starts TensorFlow's runtime
(no op runs, one thread), so each forked child is a fresh ``slimc`` process in every way that
matters: it configures its own devices and runtime, and dies alone when killed.

Protocol (JSON lines on stdin/stdout): ``{"spawn": argv, "env": {...}, "out": path,
"err": path, "cwd": dir, "call": "module:function" or null}`` -> ``{"pid": N}``;
``{"wait": N}`` -> ``{"status": code}``, where code is the exit code or minus the signal number.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _serve() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow  # (the point: imported once, runtime not started)

    tensorflow.debugging.disable_traceback_filtering()  # whole tracebacks from children

    import slimdsl.backends.tensorflow.codegen  # noqa: F401
    import slimdsl.backends.tensorflow.train.trainer  # noqa: F401
    from slimdsl import cli

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if "wait" in request:
            _, status = os.waitpid(request["wait"], 0)
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            print(json.dumps({"status": code}), flush=True)
            continue
        pid = os.fork()
        if pid == 0:  # the child: a slimc process
            try:
                os.setpgid(0, 0)
                os.chdir(request.get("cwd") or os.getcwd())
                os.environ.update(request.get("env") or {})
                for fd, path in ((1, request["out"]), (2, request["err"])):
                    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    os.dup2(target, fd)
                    os.close(target)
                sys.stdout = os.fdopen(1, "w", buffering=1)
                sys.stderr = os.fdopen(2, "w", buffering=1)
                if request.get("call"):  # "module:function", run instead of slimc
                    import importlib

                    module, function = request["call"].split(":")
                    code = getattr(importlib.import_module(module), function)(request["spawn"])
                else:
                    code = cli.main(request["spawn"])
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException as exc:  # noqa: BLE001 - report anything, then die
                import traceback

                traceback.print_exc()
                print(f"zygote child failed: {exc!r}", file=sys.stderr, flush=True)
                code = 99
            os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)


class Zygote:
    """The test side: start the server, spawn slimc processes, wait for them, kill them."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, bufsize=1)
        self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the zygote died")
        return json.loads(line)

    def spawn(self, argv: list[str], out: Path, err: Path, env: dict | None = None,
              cwd: str | None = None, call: str | None = None) -> int:
        """Start ``slimc argv`` (or ``call``, "module:function", with argv); returns its pid."""
        self.proc.stdin.write(json.dumps({"spawn": argv, "env": env or {}, "out": str(out),
                                          "err": str(err), "cwd": cwd, "call": call}) + "\n")
        return self._read()["pid"]

    def wait(self, pid: int) -> int:
        """Exit code of ``pid`` (minus the signal number when a signal ended it)."""
        self.proc.stdin.write(json.dumps({"wait": pid}) + "\n")
        return self._read()["status"]

    def run(self, argv: list[str], folder: Path, name: str, env: dict | None = None,
            kill_after: float | None = None, call: str | None = None) -> tuple[int, str, str]:
        """Run ``slimc argv`` to the end (or SIGKILL it after ``kill_after`` seconds).

        Returns (status, stdout, stderr).
        """
        out, err = folder / f"{name}.out", folder / f"{name}.err"
        pid = self.spawn(argv, out, err, env, call=call)
        if kill_after is not None:
            time.sleep(kill_after)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        status = self.wait(pid)
        return status, out.read_text(), err.read_text()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


if __name__ == "__main__":
    _serve()
