"""Two processes share a metadata pass by taking page ranges from one PageSlices."""

from __future__ import annotations

import os

import pytest

from model_conformance.scan.slices import PageSlices
from model_conformance.scan.worker import can_fork


def covered(ranges: list[tuple[int | None, int | None]], pages: int) -> list[int]:
    """Every page in 0..pages+2 once per range holding it (open ends reach past the table)."""
    return [
        page
        for first, stop in ranges
        for page in range(pages + 3)
        if (first is None or page >= first) and (stop is None or page < stop)
    ]


@pytest.mark.parametrize(("pages", "count"), [(1, 32), (7, 3), (100, 32), (2505, 32), (10, 300)])
def test_the_ranges_cover_every_page_once(pages: int, count: int) -> None:
    slices = PageSlices(pages, count)
    try:
        assert covered(slices.ranges, pages) == list(range(pages + 3))
        assert len(slices.ranges) == min(count, pages, 256)
    finally:
        slices.close()


def test_each_range_is_taken_once_the_last_first() -> None:
    slices = PageSlices(100, 4)
    taken = list(iter(slices.take, None))
    assert taken == [(75, None), (None, 25), (25, 50), (50, 75)]
    assert sorted(taken, key=lambda r: r[0] or 0) == slices.ranges
    assert slices.take() is None
    assert slices.not_taken_here() == []
    slices.close()
    assert slices.take() is None


@pytest.mark.skipif(not can_fork(), reason="the metadata pass forks on Linux only")
def test_a_forked_process_and_its_parent_take_disjoint_ranges_that_cover_all() -> None:
    slices = PageSlices(1000, 64)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child takes what it can, then reports the numbers it took
        try:
            os.close(read_fd)
            while slices.take() is not None:
                pass
            os.write(write_fd, bytes(slices.taken))
        finally:
            os._exit(0)
    os.close(write_fd)
    while slices.take() is not None:
        pass
    os.waitpid(pid, 0)
    with os.fdopen(read_fd, "rb") as pipe:
        theirs = list(pipe.read())
    slices.close()
    assert sorted(slices.taken + theirs) == list(range(64))
    assert [slices.ranges[i] for i in sorted(theirs)] == slices.not_taken_here()
