"""One consistent view of the registry: every query of a scan runs in one read-only
repeatable-read transaction, so the item list, the SQL rules and the metadata pass agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from psycopg import Connection, IsolationLevel, sql
from psycopg.rows import TupleRow

from model_conformance.db import connect, resolve_dsn
from model_conformance.scan.findings import Finding, ScanResult
from model_conformance.scan.metadata import DEFAULT_BATCH_SIZE, metadata_findings
from model_conformance.scan.migrations_check import migration_findings
from model_conformance.scan.sql_rules import sql_findings
from model_conformance.validator import MetadataValidator, default_validator

_REGISTRY_TABLES = ("artifacts", "model_versions")

# Ordering by the "C" collation is ordering by code point, exactly as Python sorts str:
# every process (and every xdist worker) derives the same order from the same data.
_MODEL_IDS = "SELECT id FROM artifacts WHERE artifact_type = 'model' ORDER BY id COLLATE \"C\""
_CHUNKS = """
SELECT min(id COLLATE "C"), max(id COLLATE "C"), count(*)
FROM (SELECT id, (row_number() OVER (ORDER BY id COLLATE "C") - 1) / %s AS chunk
      FROM artifacts WHERE artifact_type = 'model') numbered
GROUP BY chunk ORDER BY chunk"""


@dataclass(frozen=True, slots=True)
class Chunk:
    """A run of consecutive model artifact ids (in code-point order), first and last inclusive."""

    first: str
    last: str
    count: int


class Snapshot:
    """Queries against one transaction snapshot of a registry."""

    def __init__(self, conn: Connection[TupleRow], dsn: str | None = None) -> None:
        self.conn = conn
        self.dsn = dsn  # for a second connection sharing the snapshot; None: stay on one
        self._has_tables: bool | None = None

    @property
    def has_registry_tables(self) -> bool:
        """False on a database that was never migrated (the migration check says why)."""
        if self._has_tables is None:
            row = self.conn.execute(
                "SELECT bool_and(to_regclass(t) IS NOT NULL) FROM unnest(%s::text[]) AS t",
                (list(_REGISTRY_TABLES),),
            ).fetchone()
            self._has_tables = bool(row and row[0])
        return self._has_tables

    def model_count(self) -> int:
        if not self.has_registry_tables:
            return 0
        row = self.conn.execute(
            "SELECT count(*) FROM artifacts WHERE artifact_type = 'model'"
        ).fetchone()
        return int(row[0]) if row else 0

    def model_ids(self) -> list[str]:
        if not self.has_registry_tables:
            return []
        return [row[0] for row in self.conn.execute(_MODEL_IDS)]

    def chunks(self, size: int) -> list[Chunk]:
        """The model artifacts in id order, cut into runs of `size`."""
        if not self.has_registry_tables:
            return []
        return [
            Chunk(first, last, count) for first, last, count in self.conn.execute(_CHUNKS, (size,))
        ]

    def scan(
        self,
        *,
        validator: MetadataValidator | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Callable[[int], None] | None = None,
        model_count: int | None = None,
    ) -> ScanResult:
        """Run every rule; `progress` is told how many model artifacts each batch covered."""
        table_findings = migration_findings(self.conn)
        findings: list[Finding] = []
        if self.has_registry_tables:
            # The SQL rules keep the server busy while this process validates metadata: on a
            # second connection that imports this transaction's snapshot, in a thread (psycopg
            # releases the GIL while it waits for the server).
            with ThreadPoolExecutor(max_workers=1) as pool:
                sql_part = pool.submit(self._sql_findings)
                findings.extend(
                    metadata_findings(
                        self.conn,
                        validator or default_validator(),
                        batch_size=batch_size,
                        progress=progress,
                    )
                )
                findings.extend(sql_part.result())
        findings.sort()
        count = self.model_count() if model_count is None else model_count
        return ScanResult(count, findings, sorted(table_findings))

    def _sql_findings(self) -> list[Finding]:
        if self.dsn is None:
            return list(sql_findings(self.conn))
        with _join_snapshot(self.conn, self.dsn) as twin:
            return list(sql_findings(twin))


@contextmanager
def _join_snapshot(conn: Connection[TupleRow], dsn: str) -> Iterator[Connection[TupleRow]]:
    """A second read-only connection that sees exactly what `conn` sees."""
    row = conn.execute("SELECT pg_export_snapshot()").fetchone()
    assert row is not None
    twin = connect(dsn)
    try:
        twin.isolation_level = IsolationLevel.REPEATABLE_READ
        twin.read_only = True
        twin.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(row[0])))
        yield twin
    finally:
        twin.close()


@contextmanager
def open_snapshot(dsn: str | None = None) -> Iterator[Snapshot]:
    """Connect (raising `DatabaseUnavailable` with one sentence) and hold one snapshot."""
    resolved = resolve_dsn(dsn)
    conn = connect(resolved)
    try:
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        yield Snapshot(conn, resolved)
    finally:
        # Nothing was written: closing discards the transaction.
        conn.close()
