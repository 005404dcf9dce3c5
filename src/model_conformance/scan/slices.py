"""Page ranges of `artifacts`, handed out on demand to the processes of a metadata pass.

Each process takes the next range nobody has taken whenever it is ready for more, so one
slowed down by its documents (failures to explain) just takes fewer, and both finish
together. The ranges are numbered bytes in a pipe whose write end is closed before the
worker is forked: a one-byte read is atomic between processes, and an empty pipe reads as
end of file.

The last range is handed out first: rows written or updated lately sit at the end of the
heap, and they are the likeliest to break rules. Failures cost more (explaining them loads
the reference validator), and met first that cost is balanced like any other.
"""

from __future__ import annotations

import os

from model_conformance.scan.metadata import PageRange

# Enough ranges that the last one taken is a small part of the pass, few enough that starting
# a cursor for each costs nothing measurable.
DEFAULT_SLICES = 32
_MAX_SLICES = 256  # one byte names a range


class PageSlices:
    """`count` consecutive page ranges covering the table, the first and last open-ended."""

    def __init__(self, pages: int, count: int = DEFAULT_SLICES) -> None:
        count = max(1, min(count, pages, _MAX_SLICES))
        bounds = [pages * i // count for i in range(count + 1)]
        self.ranges: list[PageRange] = [
            (None if i == 0 else bounds[i], None if i == count - 1 else bounds[i + 1])
            for i in range(count)
        ]
        self.taken: list[int] = []  # the ranges this process took, in order
        read_fd, write_fd = os.pipe()
        try:
            os.write(write_fd, bytes([count - 1, *range(count - 1)]))
        finally:
            os.close(write_fd)
        self._fd = read_fd

    def take(self) -> PageRange | None:
        """The next untaken range, or None when every range is taken."""
        if self._fd < 0:
            return None
        number = os.read(self._fd, 1)
        if not number:
            return None
        self.taken.append(number[0])
        return self.ranges[number[0]]

    def not_taken_here(self) -> list[PageRange]:
        """The ranges other processes took (once this one has found the pipe empty)."""
        taken = set(self.taken)
        return [r for i, r in enumerate(self.ranges) if i not in taken]

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
