"""The database scan: every rule, over one snapshot of a registry.

`open_snapshot(dsn)` gives a `Snapshot`; `Snapshot.scan()` returns a `ScanResult` of
`Violation`s: one per broken rule per artifact (placed at a `Row`), and those of the
registry as a whole (at a `TableCheck`).

`Snapshot` and `open_snapshot` are imported on first use (PEP 562): what a scan reports can be
read (unpickled, rendered) without loading the database layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from model_conformance.scan.findings import (
    TABLE_CHECKS,
    Chunk,
    ScanResult,
)

if TYPE_CHECKING:
    from model_conformance.scan.snapshot import Snapshot, open_snapshot

__all__ = [
    "TABLE_CHECKS",
    "Chunk",
    "ScanResult",
    "Snapshot",
    "open_snapshot",
]


def __getattr__(name: str) -> Any:
    if name not in ("Snapshot", "open_snapshot"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from model_conformance.scan import snapshot

    value = getattr(snapshot, name)
    globals()[name] = value
    return value
