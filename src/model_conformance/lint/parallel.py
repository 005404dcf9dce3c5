"""Spread many files over the CPUs with plain `fork`: no pool, no pickled validator.

`multiprocessing.pool` alone costs ~30 ms to import, more than a pre-commit run of a
few files takes in total, so this forks children directly: each lints one contiguous slice
of the file list and sends its findings back through a pipe; the parent lints the first
slice itself. Slices are contiguous, so the report order is the file order.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Below this many files per process, forking costs more than it saves.
MIN_FILES_PER_PROCESS = 250


def default_jobs(count: int) -> int:
    """How many processes to use for `count` files: one per CPU, if there is work for it."""
    if not hasattr(os, "fork") or sys.platform != "linux":
        return 1  # fork is only safe enough on Linux
    cpus = len(os.sched_getaffinity(0))
    return max(1, min(cpus, count // MIN_FILES_PER_PROCESS))


def map_slices(
    work: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item], jobs: int
) -> list[Result]:
    """`work` applied to `jobs` contiguous slices of `items`, results concatenated in order."""
    if jobs <= 1 or len(items) < 2:
        return work(items)
    import pickle  # here: a run in one process never pays for it

    size = -(-len(items) // jobs)
    slices = [items[i : i + size] for i in range(0, len(items), size)]
    sys.stdout.flush()
    sys.stderr.flush()
    # Keep the collector off the objects every process shares, so that children do not
    # copy their pages just to scan them (the copy-on-write cost of forking Python).
    gc.freeze()
    children: list[tuple[int, int]] = []
    for chunk in slices[1:]:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: lint, send, leave without running the parent's atexit
            os.close(read_end)
            status = 0
            try:
                data = pickle.dumps(work(chunk), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as out:
                    out.write(data)
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        os.close(write_end)
        children.append((pid, read_end))
    try:
        results = work(slices[0])
    finally:
        received = [_collect(pid, read_end) for pid, read_end in children]
    for payload in received:
        if payload is None:
            raise RuntimeError("a lint worker process failed")
        results.extend(pickle.loads(payload))
    return results


def _collect(pid: int, read_end: int) -> bytes | None:
    """A child's pickled results, or None when it failed; always reaps the child."""
    with os.fdopen(read_end, "rb") as incoming:
        payload = incoming.read()
    _, status = os.waitpid(pid, 0)
    return payload if status == 0 and payload else None
