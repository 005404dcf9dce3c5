"""Fuzz lint's and register's readers for longer than the test suite does.

The same property as `tests/hostile/test_fuzz.py` (every input answered with findings or a
document; never an exception, never MC399), for as long as asked:

    .venv/bin/python bench/fuzz.py --minutes 10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tests.hostile
from tests.hostile.fuzzing import documents_as_text, judge_file, judge_line, raw_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mc-fuzz-"))
    deadline = time.monotonic() + args.minutes * 60
    rounds = {"files": 0, "lines": 0}
    budget = settings(
        max_examples=2_000,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )

    @budget
    @given(raw_bytes)
    def files(data: bytes) -> None:
        judge_file(folder, data)

    @budget
    @given(documents_as_text)
    def lines(text: str) -> None:
        judge_line(text)

    while time.monotonic() < deadline:
        files()
        rounds["files"] += 2_000
        lines()
        rounds["lines"] += 2_000
    print(
        f"{args.minutes:g} minutes: {rounds['files']:,} files and {rounds['lines']:,} lines, "
        "no exception, no MC399"
    )


if __name__ == "__main__":
    main()
