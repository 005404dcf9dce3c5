"""`pytest --model-conformance`: one test item per model artifact in the registry.

Inert unless `--model-conformance` is given; importing this module loads nothing but pytest
(the scan, psycopg and the validator are imported only when the plugin is switched on).

The scan runs once per session (once per xdist worker), over one snapshot, in a process of
its own (`scan.background`) started as early as the registry is known, so it overlaps pytest's
own start-up, the conftest imports and the collection of the user's tests; collection waits
for its result, and each item only looks up its precomputed findings. Items are ordered by artifact
id in code-point order, so every worker collects the same list. Above a threshold, each item
covers a chunk of consecutive artifacts, because pytest's own per-item cost dominates there.
"""

from __future__ import annotations

import abc
import os
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from model_conformance.scan import Chunk, Finding, ScanResult, Snapshot, TableFinding
    from model_conformance.scan.background import BackgroundScan, Request

MARKER = "model_conformance"
ARTIFACTS_COLLECTOR = "model-conformance"
TABLES_COLLECTOR = "model-conformance-tables"
DEFAULT_CHUNK_THRESHOLD = 2_000
DEFAULT_CHUNK_SIZE = 1_000
# Up to this many model ids (~65 bytes each) the listing is the ids the scan read; beyond,
# chunks are listed in SQL, so memory stays bounded however large the registry.
LISTED_IN_MEMORY = 2_000_000

_PLUGIN_NAME = "model-conformance-scan"
_NODE_PREFIXES = (f"{ARTIFACTS_COLLECTOR}::", f"{TABLES_COLLECTOR}::")


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


# Not trylast: pytest imports the conftest files in its own trylast implementation. Plugins
# that set environment variables here (pytest-env) do so in tryfirst ones, before this.
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """With `--model-conformance`, start the scan's process before the conftest files are
    imported, so that it connects (and then scans) while they load.

    Only when the registry is named already (flag, ini option or environment): an embedded
    server is not started for a guess. `pytest_configure` checks that what names the
    registry has not changed meanwhile (a conftest may set `MODEL_CONFORMANCE_DSN`), and
    starts another process if it has.
    """
    options = early_config.known_args_namespace
    if not getattr(options, "model_conformance", False) or _scans_nothing(options):
        return
    request = _request(
        options.model_conformance_dsn or _ini_dsn(early_config),
        options.model_conformance_chunk_threshold,
        options.model_conformance_chunk_size,
    )
    if request is None or not (request.dsn or _named_in_environment()):
        return
    from model_conformance.scan.background import BackgroundScan

    scan = BackgroundScan.start(request)
    if scan is not None:
        # Stopped with the session, even one that never reaches configure (a usage error,
        # a conftest that fails to import); configure may adopt it first.
        early_config.add_cleanup(scan.stop)
    early_config.stash[_EARLY_SCAN] = _EarlyScan(scan, request, _registry_environment())


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: a model registry conformance check (pytest --model-conformance)"
    )
    if config.getoption("model_conformance") and not _scans_nothing(config.option):
        config.pluginmanager.register(ConformancePlugin(config), _PLUGIN_NAME)


def _scans_nothing(options: Any) -> bool:
    """`--help`, `--version` and `--markers` print and end: there is nothing to scan for."""
    return any(getattr(options, name, False) for name in ("help", "version", "markers"))


@dataclass(frozen=True, slots=True)
class _EarlyScan:
    """A scan started before the conftest files, and what it was started for."""

    scan: BackgroundScan | None
    request: Request
    environment: dict[str, str]


_EARLY_SCAN = pytest.StashKey[_EarlyScan]()


def _ini_dsn(config: pytest.Config) -> str:
    return str(config.getini("model_conformance_dsn") or "")


def _request(dsn: str, threshold: int, chunk_size: int) -> Request | None:
    """The scan asked for, or None for option values `_positive` will refuse."""
    from model_conformance.scan.background import Request

    if threshold < 1 or chunk_size < 1:
        return None
    return Request(dsn or None, max(threshold, LISTED_IN_MEMORY), threshold, chunk_size)


def _registry_environment() -> dict[str, str]:
    """The environment variables that can decide which registry is scanned: ours and libpq's."""
    return {
        name: value
        for name, value in os.environ.items()
        if name.startswith(("MODEL_CONFORMANCE_", "PG"))
    }


def _named_in_environment() -> bool:
    environment = _registry_environment()
    return bool(
        environment.get("MODEL_CONFORMANCE_DSN")
        or any(environment.get(name) for name in _LIBPQ_TARGETS)
    )


# libpq's variables that name a server or database, as `db.dsn` reads them (a test holds the
# two lists together; importing `db` here would load psycopg into pytest).
_LIBPQ_TARGETS = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")


class ConformanceFailed(Exception):
    """Raised by an item whose artifacts break rules; the message is the whole report."""


class ConformancePlugin:
    """Owns the session's one scan and builds the items from it.

    The scan runs in a process of its own (`scan.background`), started before the conftest
    files load or at configure time: it overlaps the rest of pytest's start-up and the
    collection, and this process never loads the database layer or the validator. Where no
    such process can be started, the scan runs here, over a snapshot opened at configure
    time (which is then also the connection check).
    """

    def __init__(self, config: pytest.Config) -> None:
        from model_conformance.scan.background import BackgroundScan

        request = _request(
            config.getoption("model_conformance_dsn") or _ini_dsn(config),
            _positive(config, "model_conformance_chunk_threshold"),
            _positive(config, "model_conformance_chunk_size"),
        )
        assert request is not None  # the values are positive
        self.request = request
        self._open = ExitStack()
        self.snapshot: Snapshot | None = None
        early = config.stash.get(_EARLY_SCAN, None)
        if early is not None and (early.request, early.environment) == (
            request,
            _registry_environment(),
        ):
            self.background = early.scan
        else:
            if early is not None and early.scan is not None:
                early.scan.stop()  # it would scan what no longer is the registry
            self.background = BackgroundScan.start(request)
        if self.background is not None:
            self._open.callback(self.background.stop)
        else:
            self.snapshot = self._open_snapshot()

    def _open_snapshot(self) -> Snapshot:
        """Resolve the DSN and connect now: an unreachable database is a start-up error."""
        from model_conformance.scan import open_snapshot

        # All in this process (no forked metadata worker): it may be running other threads.
        request = self.request
        snapshot = open_snapshot(request.dsn, split_pages=None, keep_ids=request.keep_ids)
        with _usage_errors():
            return self._open.enter_context(snapshot)

    @pytest.hookimpl(trylast=True)  # every plugin is configured: xdist's session is known
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Check the database can be reached, then set the scan going, so it overlaps
        pytest's own collection.

        Under xdist the controller collects nothing: only its workers scan. It still checks
        the database can be reached, so an unreachable one is one error at start-up.
        """
        controller = session.config.pluginmanager.has_plugin("dsession")
        if self.background is not None:
            if not controller:
                self.background.go()  # it scans as soon as it is connected
            with _usage_errors():
                self.background.wait_connected()
        elif not controller:
            assert self.snapshot is not None
            with _usage_errors():
                self.snapshot.start()
        if controller:
            self._open.close()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self._open.close()  # stops a scan still running if the session ended before collecting

    @pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, which runs in the same hook
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        items.extend(self._collect(session))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Drop our items' passed setup/teardown reports before the summary is rendered.

        For each failure, pytest's terminal summary looks for that test's teardown report by
        scanning every passed setup/teardown report: quadratic, minutes at 10,000 failures.
        Ours have no output to show, so the summary loses nothing. (This runs before the
        summary: the terminal reporter renders it after every other sessionfinish hook.)
        """
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        phases = reporter.stats.get("")
        if phases:
            reporter.stats[""] = [
                r for r in phases if not str(getattr(r, "nodeid", "")).startswith(_NODE_PREFIXES)
            ]

    def _scan(self) -> tuple[ScanResult, list[Chunk]]:
        """The scan's result, and its chunks above the threshold (empty below it)."""
        with _usage_errors(), self._open:  # the scan's process or snapshot is closed once done
            if self.background is not None:
                outcome = self.background.result()
                if outcome is not None:
                    return outcome.result, outcome.chunks
                # The scan's process failed: scan here, slower, with the same result.
                warnings.warn(_ScanProcessFailed(self.background), stacklevel=1)
                self.snapshot = self._open_snapshot()
            assert self.snapshot is not None
            result = self.snapshot.scan()
            # The ids the scan read are the listing; above the threshold, items cover chunks.
            request = self.request
            return result, self.snapshot.chunks_above(
                result, request.chunk_threshold, request.chunk_size
            )

    def _collect(self, session: pytest.Session) -> list[pytest.Item]:
        from model_conformance.scan import TABLE_CHECKS

        result, chunks = self._scan()
        ids = result.model_ids
        by_artifact = result.by_artifact()  # model artifacts only: MC502 is table-level

        artifacts = _Collector.from_parent(
            session, name=ARTIFACTS_COLLECTOR, nodeid=ARTIFACTS_COLLECTOR
        )
        artifacts.add_marker(MARKER)
        items: list[pytest.Item] = []
        if chunks:
            for chunk, found in zip(chunks, _by_chunk(chunks, by_artifact), strict=True):
                items.append(
                    ChunkItem.from_parent(
                        artifacts,
                        name=f"{chunk.first}..{chunk.last}",
                        findings=found,
                        size=chunk.count,
                        held=result.held,
                    )
                )
        else:
            for artifact_id in ids:
                items.append(
                    ArtifactItem.from_parent(
                        artifacts,
                        name=artifact_id,
                        findings=by_artifact.get(artifact_id, []),
                        held=artifact_id in result.held,
                    )
                )

        tables = _Collector.from_parent(session, name=TABLES_COLLECTOR, nodeid=TABLES_COLLECTOR)
        tables.add_marker(MARKER)
        by_check = result.by_check()
        for check in sorted(set(TABLE_CHECKS).union(by_check)):
            items.append(
                TableCheckItem.from_parent(tables, name=check, findings=by_check.get(check, []))
            )
        # Reported like collected files, so pytest's "collected N items" counts these too.
        for collector in (artifacts, tables):
            result_items: list[pytest.Item | pytest.Collector] = [
                item for item in items if item.parent is collector
            ]
            report = pytest.CollectReport(collector.nodeid, "passed", None, result_items)
            session.ihook.pytest_collectreport(report=report)
        return items


class _ScanProcessFailed(pytest.PytestWarning):
    """The scan's own process crashed or died; the pytest process scanned instead."""

    def __init__(self, scan: BackgroundScan) -> None:
        how = f"crashed:\n{scan.crash}" if scan.crash else f"ended (status {scan.exit_status()})"
        super().__init__(
            f"model-conformance: the scan's process {how} without a result; "
            "the registry was scanned in the pytest process instead"
        )


class _Collector(pytest.Collector):
    """A parent for the items; they are built by the plugin, so it collects nothing itself."""

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        return []


class _ConformanceItem(pytest.Item):
    def runtest(self) -> None:
        report = self.failure_report()
        if report is not None:
            raise ConformanceFailed(report)

    @abc.abstractmethod  # pytest's Node metaclass is an ABCMeta
    def failure_report(self) -> str | None:
        """The failure text, or None when the item passes."""

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


class ArtifactItem(_ConformanceItem):
    """`model-conformance::<artifact_id>`: fails when the artifact breaks any error rule."""

    def __init__(self, *, findings: Sequence[Finding], held: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.findings = findings
        self.held = held

    def failure_report(self) -> str | None:
        from model_conformance.scan.report import artifact_block

        if not any(f.is_error for f in self.findings):
            return None
        return "\n".join(artifact_block(self.name, self.findings, held=self.held))


class ChunkItem(_ConformanceItem):
    """`model-conformance::<first>..<last>`: one test for a run of model artifacts."""

    def __init__(
        self,
        *,
        findings: dict[str, list[Finding]],
        size: int,
        held: frozenset[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.findings = findings
        self.size = size
        self.held = held

    def failure_report(self) -> str | None:
        from model_conformance.scan.report import artifact_block

        failing = sum(any(f.is_error for f in found) for found in self.findings.values())
        if not failing:
            return None
        only_warnings = len(self.findings) - failing
        also = f" ({only_warnings} more with warnings only)" if only_warnings else ""
        lines = [f"{failing} of {self.size} artifacts in {self.name} break rules{also}:"]
        for artifact_id, found in self.findings.items():
            lines += artifact_block(artifact_id, found, held=artifact_id in self.held, indent="  ")
        return "\n".join(lines)


class TableCheckItem(_ConformanceItem):
    """`model-conformance-tables::<check>`: a check of the database as a whole."""

    def __init__(self, *, findings: Sequence[TableFinding], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.findings = findings

    def failure_report(self) -> str | None:
        from model_conformance.scan.report import table_lines

        if not any(f.is_error for f in self.findings):
            return None
        return "\n".join(table_lines(self.findings))


def _by_chunk(
    chunks: Sequence[Chunk], by_artifact: dict[str, list[Finding]]
) -> Iterator[dict[str, list[Finding]]]:
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
    from model_conformance.scan.background import ScanRefused
    from model_conformance.violations import ConformanceError

    try:
        yield
    except (ConformanceError, ScanRefused) as exc:
        raise pytest.UsageError(f"--model-conformance: {exc}") from None


def _positive(config: pytest.Config, name: str) -> int:
    value = int(config.getoption(name))
    if value < 1:
        flag = "--" + name.replace("_", "-")
        raise pytest.UsageError(f"{flag} must be at least 1, not {value}")
    return value
