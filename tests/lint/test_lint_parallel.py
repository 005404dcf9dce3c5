"""Many files are spread over processes; the report is the same as a serial run's."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from model_conformance.lint import lint_paths
from model_conformance.lint.discover import metadata_files
from model_conformance.lint.parallel import map_slices
from model_conformance.validator import MetadataValidator


def test_map_slices_keeps_order_across_processes() -> None:
    items = list(range(1000))
    assert map_slices(lambda chunk: [i * 2 for i in chunk], items, jobs=3) == [i * 2 for i in items]


def test_a_failing_worker_is_an_error_not_a_silent_gap() -> None:
    parent = os.getpid()

    def work(chunk: Sequence[int]) -> list[int]:
        if os.getpid() != parent:
            raise ValueError("boom")
        return list(chunk)

    with pytest.raises(RuntimeError, match="worker process failed"):
        map_slices(work, [1, 2, 3, 4], jobs=2)


def test_parallel_and_serial_runs_report_the_same(tmp_path: Path) -> None:
    for i in range(60):
        doc = {"model_family": "x"} if i % 7 == 0 else {}
        (tmp_path / f"m{i:02d}.json").write_text(json.dumps(doc) if i % 5 else "{,}")
    validator = MetadataValidator()
    serial = lint_paths([tmp_path], validator, jobs=1)
    parallel = lint_paths([tmp_path], validator, jobs=2)
    assert parallel == serial
    assert serial[1] == 60


def test_discovery_walks_sorted_and_skips_hidden_directories(tmp_path: Path) -> None:
    for name in ["b/z.json", "b/a.json", "a.json", ".git/x.json", "b/notes.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = [Path(p).relative_to(tmp_path).as_posix() for p in metadata_files([tmp_path])]
    assert found == ["a.json", "b/a.json", "b/z.json"]
