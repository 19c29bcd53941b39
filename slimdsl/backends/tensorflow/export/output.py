"""Writing an export atomically: a temporary file or directory beside ``-o``, then a rename.

A failed export (a conversion error, a verification that does not hold, Ctrl-C) leaves what
was at ``-o`` byte for byte as it was and no temporary behind. A SavedModel directory that
already exists is swapped with the new one in one ``renameat2(RENAME_EXCHANGE)`` on Linux (two
renames elsewhere), and only a directory that holds a SavedModel (or nothing) is replaced.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Iterator

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _staging_name(path: str) -> tuple[str, str]:
    target = os.path.realpath(path)
    parent = os.path.dirname(target) or "."
    if not os.path.isdir(parent):
        raise OSError(f"the folder {os.path.dirname(path) or '.'} does not exist")
    return target, parent


@contextlib.contextmanager
def staged_file(path: str) -> Iterator[str]:
    """A temporary path beside ``path``; renamed over it when the block succeeds.

    The new file keeps the replaced file's permission bits (a new one gets the umask's).
    """
    target, parent = _staging_name(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp",
                               dir=parent)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        if os.path.exists(target):
            shutil.copymode(target, tmp)
        else:  # mkstemp made it 0600; a new output gets what open() would give it
            umask = os.umask(0o022)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_bytes(tmp: str, data: bytes) -> None:
    """Fill a staged file."""
    with open(tmp, "wb") as f:
        f.write(data)


@contextlib.contextmanager
def staged_directory(path: str) -> Iterator[str]:
    """A temporary directory beside ``path`` (which the block fills); it replaces ``path``
    when the block succeeds."""
    target, parent = _staging_name(path)
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp",
                           dir=parent)
    staging = os.path.join(tmp, "out")  # the block's directory; tmp keeps the name reserved
    try:
        yield staging
        _replace_directory(staging, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _replace_directory(new: str, target: str) -> None:
    if not os.path.exists(target):
        os.rename(new, target)
        return
    if not os.listdir(target):
        os.rmdir(target)
        os.rename(new, target)
        return
    if _exchange(new, target):  # the old tree is now at `new`, removed with the staging dir
        return
    old = new + ".old"
    os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: str, b: str) -> bool:
    """Swap two paths atomically (Linux renameat2); False where that is not available."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b),
                     _RENAME_EXCHANGE) == 0


def size_of(path: str) -> int:
    """Bytes of a file, or of every file under a directory."""
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)
