"""What a scan reports: one `Finding` per broken rule per artifact, plus table-level findings."""

from __future__ import annotations

from dataclasses import dataclass, field

from model_conformance.violations import Severity, pointer_to_path


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One rule broken by one artifact row.

    `column` names the database column at fault (`metadata`, `base_model_id`, ...); for
    `metadata`, `pointer` is the JSON Pointer into the document, as the core reports it.
    Field order makes the natural sort order: by artifact, then code, column, location.
    """

    artifact_id: str
    code: str
    column: str
    pointer: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def path(self) -> str:
        """The readable location: `metadata` or `metadata$.training_data[0]`."""
        return self.column + pointer_to_path(self.pointer)[1:] if self.pointer else self.column

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, str]:
        return {
            "artifact_id": self.artifact_id,
            "code": self.code,
            "severity": self.severity.value,
            "column": self.column,
            "pointer": self.pointer,
            "path": self.path,
            "message": self.message,
        }

    def __str__(self) -> str:
        return f"{self.path}: {self.code} {self.message}"


@dataclass(frozen=True, slots=True, order=True)
class TableFinding:
    """A problem with the tables as a whole, not with one model artifact: a migration, or a
    `model_versions` row of an artifact that is no model (`artifact_id` then names it; such
    an artifact has no item of its own, since items are per model artifact)."""

    check: str
    code: str
    message: str
    severity: Severity = Severity.ERROR
    artifact_id: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, str]:
        found = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }
        return found | {"artifact_id": self.artifact_id} if self.artifact_id else found

    def __str__(self) -> str:
        return f"{self.check}: {self.code} {self.message}"


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
    findings: list[Finding] = field(default_factory=list)
    table_findings: list[TableFinding] = field(default_factory=list)
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

    def by_artifact(self) -> dict[str, list[Finding]]:
        """Findings grouped per artifact id, in id order."""
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.artifact_id, []).append(finding)
        return grouped

    @property
    def failing_artifacts(self) -> int:
        """Model artifacts with at least one error (never more than `model_count`)."""
        return len({f.artifact_id for f in self.findings if f.is_error})

    def by_check(self) -> dict[str, list[TableFinding]]:
        """Findings per table-level check, every check present (passing ones empty)."""
        grouped: dict[str, list[TableFinding]] = {check: [] for check in TABLE_CHECKS}
        for finding in self.table_findings:
            grouped.setdefault(finding.check, []).append(finding)
        return grouped
