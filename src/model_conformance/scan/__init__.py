"""The database scan: every rule, over one snapshot of a registry.

`open_snapshot(dsn)` gives a `Snapshot`; `Snapshot.scan()` returns a `ScanResult` of
`Finding`s (one per broken rule per artifact) and `TableFinding`s (the registry as a whole).

`Snapshot` and `open_snapshot` are imported on first use (PEP 562): what a scan reports can be
read (unpickled, rendered) without loading the database layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from model_conformance.scan.findings import (
    TABLE_CHECKS,
    Chunk,
    Finding,
    ScanResult,
    TableFinding,
)

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    if name not in ("Snapshot", "open_snapshot"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from model_conformance.scan import snapshot

    value = getattr(snapshot, name)
    globals()[name] = value
    return value
