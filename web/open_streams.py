"""Count open streams across all of a server's worker processes.

Each worker owns one slot (8 bytes) of a shared file and only ever writes its own slot, so no
cross-process lock is needed; the total is the sum of all slots. gunicorn.conf.py creates the
file and hands each worker its slot, growing the file when a new worker needs one more: during
a reload (SIGHUP) old and new workers overlap, and TTIN adds workers, so no fixed size is right.
Without a file (flask run, tests) the count is this process's.
"""

import mmap
import os
import threading

CELL = 8  # bytes per slot: one signed 64-bit count


class OpenStreams:
    """The number of streams open right now, in this process and (with a shared file) in all."""

    def __init__(self, path: str | None = None, slot: int = 0) -> None:
        self.slot = slot
        # flask run serves each request on its own thread. Reentrant, because a body's finalizer
        # may run during garbage collection while this same thread holds the lock.
        self.lock = threading.RLock()
        self.file = open(path, "r+b") if path else None  # held open for the worker's life
        self.map()

    def map(self) -> None:
        """Map the whole file (it may have grown since), or a private memory for this process."""
        if self.file:
            self.memory = mmap.mmap(self.file.fileno(), os.fstat(self.file.fileno()).st_size)
        else:
            self.memory = mmap.mmap(-1, (self.slot + 1) * CELL)
        self.cells = memoryview(self.memory).cast("q")

    def add(self, step: int) -> None:
        with self.lock:
            self.cells[self.slot] += step

    @property
    def own(self) -> int:
        """This process's open streams."""
        return self.cells[self.slot]

    @property
    def count(self) -> int:
        with self.lock:
            if self.file and os.fstat(self.file.fileno()).st_size != len(self.memory):
                self.map()  # a worker started since: its slot is new
            return sum(self.cells)


def create_file(path: str, slots: int) -> None:
    """Make an all-zero counts file with room for `slots` workers."""
    with open(path, "wb") as shared:
        shared.write(bytes(slots * CELL))


def make_room(path: str, slot: int) -> None:
    """Grow the counts file, with zeros, so that it holds `slot`."""
    with open(path, "r+b") as shared:
        if os.fstat(shared.fileno()).st_size < (slot + 1) * CELL:
            shared.truncate((slot + 1) * CELL)


def clear_slot(path: str, slot: int) -> None:
    """Zero a dead worker's slot: its streams died with it, uncounted."""
    with open(path, "r+b") as shared:
        shared.seek(slot * CELL)
        shared.write(bytes(CELL))
