"""What a scan reports: a `Violation` placed at a `Row` per broken rule per artifact, and
at a `TableCheck` for the registry as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field

from model_conformance.violations import Row, TableCheck, Violation


def finding_order(finding: Violation) -> tuple[str, str, str, str, str]:
    """The natural order of a scan's findings: artifact, code, column, pointer, message."""
    where = finding.where
    column = where.column if isinstance(where, Row) else ""
    check = where.check if isinstance(where, TableCheck) else ""
    return (finding.artifact_id or check, finding.code, column, finding.pointer, finding.message)


MIGRATIONS_CHECK = "migrations"
NON_MODEL_CHECK = "version-of-non-model"  # MC502

# The table-level checks a scan always runs; each becomes one pytest item.
TABLE_CHECKS: tuple[str, ...] = (MIGRATIONS_CHECK, NON_MODEL_CHECK)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A run of consecutive model artifact ids (in code-point order), first and last inclusive."""

    first: str
    last: str
    count: int


@dataclass(slots=True)
class ScanResult:
    """Everything one snapshot showed. `findings` is sorted (artifact id, code, column, pointer)
    and names model artifacts only; `held` holds those of them the backfill held for review.
    `model_ids` (when the scan was asked to keep them) lists every model artifact it read, in
    code-point order, as PostgreSQL's "C" collation and Python's `sorted` both order text."""

    model_count: int
    findings: list[Violation] = field(default_factory=list)  # each at a Row
    table_findings: list[Violation] = field(default_factory=list)  # each at a TableCheck
    held: frozenset[str] = frozenset()
    model_ids: list[str] = field(default_factory=list)

    def chunks(self, size: int) -> list[Chunk]:
        """`model_ids` cut into runs of `size`."""
        ids = self.model_ids
        return [
            Chunk(ids[start], ids[min(start + size, len(ids)) - 1], min(size, len(ids) - start))
            for start in range(0, len(ids), size)
        ]

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings) or any(
            t.is_error for t in self.table_findings
        )

    def by_artifact(self) -> dict[str, list[Violation]]:
        """Findings grouped per artifact id, in id order."""
        grouped: dict[str, list[Violation]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.artifact_id, []).append(finding)
        return grouped

    @property
    def failing_artifacts(self) -> int:
        """Model artifacts with at least one error (never more than `model_count`)."""
        return len({f.artifact_id for f in self.findings if f.is_error})

    def by_check(self) -> dict[str, list[Violation]]:
        """Findings per table-level check, every check present (passing ones empty)."""
        grouped: dict[str, list[Violation]] = {check: [] for check in TABLE_CHECKS}
        for finding in self.table_findings:
            assert isinstance(finding.where, TableCheck)
            grouped.setdefault(finding.where.check, []).append(finding)
        return grouped
