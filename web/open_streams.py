"""Count open streams across all of a server's worker processes.

Each worker owns one slot of a small shared file and only ever writes its own slot, so no
cross-process lock is needed; the total is the sum of all slots. gunicorn.conf.py creates the
file and hands each worker its slot. Without one (flask run, tests) the count is this process's.
"""

import mmap
import threading

SLOTS = 64  # more than any machine's worth of workers


class OpenStreams:
    """The number of streams open right now, in this process and (with a shared file) in all."""

    def __init__(self, path: str | None = None, slot: int = 0) -> None:
        if path:
            with open(path, "r+b") as shared:
                self.memory = mmap.mmap(shared.fileno(), SLOTS * 8)
        else:
            self.memory = mmap.mmap(-1, SLOTS * 8)  # private to this process
        self.cells = memoryview(self.memory).cast("q")
        self.slot = slot
        # flask run serves each request on its own thread. Reentrant, because a body's finalizer
        # may run during garbage collection while this same thread holds the lock.
        self.lock = threading.RLock()

    def add(self, step: int) -> None:
        with self.lock:
            self.cells[self.slot] += step

    @property
    def count(self) -> int:
        return sum(self.cells)


def create_file(path: str) -> None:
    """Make an all-zero counts file for a server's workers to share."""
    with open(path, "wb") as shared:
        shared.write(bytes(SLOTS * 8))


def clear_slot(path: str, slot: int) -> None:
    """Zero a dead worker's slot: its streams died with it, uncounted."""
    OpenStreams(path, slot).cells[slot] = 0
