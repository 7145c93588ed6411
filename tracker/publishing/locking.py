"""An exclusive lock file, so that two renders never write the same articles at once."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class LockBusy(Exception):
    """Another process holds the lock for longer than we wait."""


@contextmanager
def exclusive_lock(path: Path, timeout: float, poll: float = 0.05) -> Iterator[None]:
    """Hold an flock on ``path``; wait up to ``timeout`` seconds for another holder.

    The kernel releases the lock when the holder exits, even when it is killed, so a crashed
    render never blocks the next one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockBusy(
                        f"{path}: another render holds the lock (waited {timeout:g} s)"
                    ) from None
                time.sleep(poll)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
