"""The database scan: every rule, over one snapshot of a registry.

`open_snapshot(dsn)` gives a `Snapshot`; `Snapshot.scan()` returns a `ScanResult` of
`Finding`s (one per broken rule per artifact) and `TableFinding`s (the registry as a whole).
"""

from __future__ import annotations

from model_conformance.scan.findings import (
    TABLE_CHECKS,
    Chunk,
    Finding,
    ScanResult,
    TableFinding,
)
from model_conformance.scan.snapshot import Snapshot, open_snapshot

__all__ = [
    "TABLE_CHECKS",
    "Chunk",
    "Finding",
    "ScanResult",
    "Snapshot",
    "TableFinding",
    "open_snapshot",
]
