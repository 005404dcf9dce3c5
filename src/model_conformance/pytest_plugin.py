"""`pytest --model-conformance`: one test item per model artifact in the registry.

Inert unless `--model-conformance` is given; importing this module loads nothing but pytest
(the scan, psycopg and the validator are imported only when the plugin is switched on).

How the items come to be, in three steps:

1. At configure time the registry is scanned once, in this process, over one snapshot, and
   the scan is turned into a plan: one `(collector, name, failure text or None)` per item.
   A registry that cannot be scanned is one usage error (exit 4), before anything runs.
   Under pytest-xdist only the controller scans; it hands the plan to every worker through
   `workerinput` (as pytest-mypy hands over its results), so every worker collects the same
   items by construction, from the same snapshot.
2. The plan's collectors join the session's collection (`pytest_make_collect_report` of the
   session), so pytest collects them like any file: `-k`, `-m`, "collected N items", junit.
3. Each item fails with its precomputed text, or passes.

Items are ordered by artifact id in code-point order. Above a threshold, each item covers a
chunk of consecutive artifacts, because pytest's own per-item cost dominates there.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from model_conformance.scan import Chunk, ScanResult
    from model_conformance.violations import Violation

MARKER = "model_conformance"
ARTIFACTS_COLLECTOR = "model-conformance"
TABLES_COLLECTOR = "model-conformance-tables"
DEFAULT_CHUNK_THRESHOLD = 2_000
DEFAULT_CHUNK_SIZE = 1_000
# Up to this many model ids (~65 bytes each) the listing is the ids the scan read; beyond,
# chunks are listed in SQL, so memory stays bounded however large the registry.
LISTED_IN_MEMORY = 2_000_000

# One planned item: its collector, its name, and its failure text (None: it passes). Plain
# strings, so the plan crosses to xdist workers as it is.
PlannedItem = tuple[str, str, "str | None"]
_WORKERINPUT_KEY = "model_conformance_plan"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("model-conformance", "model registry conformance")
    group.addoption(
        "--model-conformance",
        action="store_true",
        default=False,
        help="scan the model registry: one test per model artifact, plus table-level checks",
    )
    group.addoption(
        "--model-conformance-dsn",
        default=None,
        metavar="DSN",
        help="PostgreSQL DSN of the registry (else ini model_conformance_dsn, "
        "MODEL_CONFORMANCE_DSN, libpq PG* variables, the embedded server)",
    )
    group.addoption(
        "--model-conformance-chunk-threshold",
        type=int,
        default=DEFAULT_CHUNK_THRESHOLD,
        metavar="N",
        help="above N model artifacts, each test covers a chunk of artifacts "
        f"(default {DEFAULT_CHUNK_THRESHOLD})",
    )
    group.addoption(
        "--model-conformance-chunk-size",
        type=int,
        default=DEFAULT_CHUNK_SIZE,
        metavar="N",
        help=f"artifacts per test in chunked mode (default {DEFAULT_CHUNK_SIZE})",
    )
    parser.addini("model_conformance_dsn", "PostgreSQL DSN of the model registry", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: a model registry conformance check (pytest --model-conformance)"
    )
    if not config.getoption("model_conformance") or _scans_nothing(config.option):
        return
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # an xdist worker: the controller scanned
        plan = [tuple(item) for item in workerinput[_WORKERINPUT_KEY]]
    else:
        threshold = _positive(config, "model_conformance_chunk_threshold")
        size = _positive(config, "model_conformance_chunk_size")
        dsn = config.getoption("model_conformance_dsn") or str(
            config.getini("model_conformance_dsn") or ""
        )
        plan = _scan_plan(dsn or None, threshold, size)
    config.pluginmanager.register(_Collection(plan), "model-conformance-collection")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_HandToWorkers(plan), "model-conformance-xdist")


def _scans_nothing(options: Any) -> bool:
    """`--help`, `--version` and `--markers` print and end: there is nothing to scan for."""
    return any(getattr(options, name, False) for name in ("help", "version", "markers"))


class _HandToWorkers:
    """Under xdist, the controller's plan goes to each worker it starts."""

    def __init__(self, plan: list[PlannedItem]) -> None:
        self.plan = plan

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[_WORKERINPUT_KEY] = self.plan


class _Collection:
    """Adds the plan's collectors to the session's own collection."""

    def __init__(self, plan: list[PlannedItem]) -> None:
        self.plan = plan

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if isinstance(collector, pytest.Session) and report.passed:
            for name in (ARTIFACTS_COLLECTOR, TABLES_COLLECTOR):
                planned = [(item, text) for parent, item, text in self.plan if parent == name]
                report.result.append(
                    RegistryCollector.from_parent(collector, name=name, nodeid=name, plan=planned)
                )
        return report

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Drop our items' passed setup/teardown reports before the summary is rendered.

        For each failure, pytest's terminal summary looks for that test's teardown report by
        scanning every passed setup/teardown report: quadratic, 9 s at 2,000 failing items.
        Ours have no output to show, so the summary loses nothing. (This runs before the
        summary: the terminal reporter renders it after every other sessionfinish hook.)
        """
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        phases = reporter.stats.get("") if reporter is not None else None
        if reporter is not None and phases:
            prefixes = (f"{ARTIFACTS_COLLECTOR}::", f"{TABLES_COLLECTOR}::")
            reporter.stats[""] = [
                r for r in phases if not str(getattr(r, "nodeid", "")).startswith(prefixes)
            ]


class ConformanceFailed(Exception):
    """Raised by an item whose artifacts break rules; the message is the whole report."""


class RegistryCollector(pytest.Collector):
    """`model-conformance` (one item per artifact or chunk) or `model-conformance-tables`."""

    def __init__(self, *, plan: list[tuple[str, str | None]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.add_marker(MARKER)

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        for name, failure in self.plan:
            yield ConformanceItem.from_parent(self, name=name, failure=failure)


class ConformanceItem(pytest.Item):
    """One artifact, one chunk of artifacts, or one table-level check."""

    def __init__(self, *, failure: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.failure = failure

    def runtest(self) -> None:
        if self.failure is not None:
            raise ConformanceFailed(self.failure)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if isinstance(excinfo.value, ConformanceFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.nodeid


def _scan_plan(dsn: str | None, threshold: int, size: int) -> list[PlannedItem]:
    """Scan the registry once and plan the items; a registry that cannot be scanned is a
    usage error (one sentence, exit 4)."""
    from model_conformance.scan import open_snapshot

    with _usage_errors():
        keep_ids = max(threshold, LISTED_IN_MEMORY)
        with open_snapshot(dsn, keep_ids=keep_ids) as snapshot:
            result = snapshot.scan()
            chunks = snapshot.chunks_above(result, threshold, size)
    return _plan(result, chunks)


def _plan(result: ScanResult, chunks: Sequence[Chunk]) -> list[PlannedItem]:
    from model_conformance.scan import TABLE_CHECKS
    from model_conformance.scan.presentation import artifact_block, table_lines

    by_artifact = result.by_artifact()  # model artifacts only: MC502 is table-level
    plan: list[PlannedItem] = []
    if chunks:
        for chunk, found in zip(chunks, _by_chunk(chunks, by_artifact), strict=True):
            name = f"{chunk.first}..{chunk.last}"
            plan.append(
                (ARTIFACTS_COLLECTOR, name, _chunk_failure(name, chunk.count, found, result.held))
            )
    else:
        for artifact_id in result.model_ids:
            findings = by_artifact.get(artifact_id, [])
            failure = None
            if any(f.is_error for f in findings):
                held = artifact_id in result.held
                failure = "\n".join(artifact_block(artifact_id, findings, held=held))
            plan.append((ARTIFACTS_COLLECTOR, artifact_id, failure))
    by_check = result.by_check()
    for check in sorted(set(TABLE_CHECKS).union(by_check)):
        table = by_check.get(check, [])
        failure = "\n".join(table_lines(table)) if any(f.is_error for f in table) else None
        plan.append((TABLES_COLLECTOR, check, failure))
    return plan


def _chunk_failure(
    name: str, size: int, findings: dict[str, list[Violation]], held: frozenset[str]
) -> str | None:
    from model_conformance.scan.presentation import artifact_block

    failing = sum(any(f.is_error for f in found) for found in findings.values())
    if not failing:
        return None
    only_warnings = len(findings) - failing
    also = f" ({only_warnings} more with warnings only)" if only_warnings else ""
    lines = [f"{failing} of {size} artifacts in {name} break rules{also}:"]
    for artifact_id, found in findings.items():
        lines += artifact_block(artifact_id, found, held=artifact_id in held, indent="  ")
    return "\n".join(lines)


def _by_chunk(
    chunks: Sequence[Chunk], by_artifact: dict[str, list[Violation]]
) -> Iterator[dict[str, list[Violation]]]:
    """The findings of each chunk: those of the ids in [first, last], in id order.

    Both lists are in code-point order and from one snapshot, so one merge pass suffices.
    """
    ids = list(by_artifact)
    start = 0
    for chunk in chunks:
        start = bisect_left(ids, chunk.first, lo=start)
        stop = bisect_right(ids, chunk.last, lo=start)
        yield {artifact_id: by_artifact[artifact_id] for artifact_id in ids[start:stop]}
        start = stop


@contextmanager
def _usage_errors() -> Iterator[None]:
    """A database that cannot be scanned is one sentence, not a traceback."""
    from model_conformance.violations import ConformanceError

    try:
        yield
    except ConformanceError as exc:
        raise pytest.UsageError(f"--model-conformance: {exc} [{exc.code}]") from None


def _positive(config: pytest.Config, name: str) -> int:
    value = int(config.getoption(name))
    if value < 1:
        flag = "--" + name.replace("_", "-")
        raise pytest.UsageError(f"{flag} must be at least 1, not {value}")
    return value
