"""The table-level migration check: every migration file applied, and unchanged since.

The ledger and the files are read by the db layer's runner; this only words what differs.
"""

from __future__ import annotations

from psycopg import Connection
from psycopg.rows import TupleRow

from model_conformance.codes import violation
from model_conformance.db.migrate import discover_migrations, migration_status
from model_conformance.scan.findings import MIGRATIONS_CHECK as CHECK
from model_conformance.violations import TableCheck, Violation


def migration_findings(conn: Connection[TupleRow]) -> list[Violation]:
    where = TableCheck(CHECK)
    files = {m.version: m for m in discover_migrations()}
    findings = []
    states = migration_status(conn)
    highest_applied = max((s.version for s in states if s.status != "pending"), default=0)
    for state in states:
        name = f"{state.version:04d}_{state.name}.sql"
        migration = files.get(state.version)
        if state.status == "pending":
            how = "model-conformance migrate"
            if state.version < highest_applied:  # the runner refuses it without the flag
                how += " --allow-out-of-order"
            message = f"migration {name} is not applied (run `{how}`)"
            findings.append(violation("MC520", message, where=where))
        elif migration is None:
            message = f"migration {name} is recorded as applied but its file is missing"
            findings.append(violation("MC521", message, where=where))
        elif migration.checksum != state.checksum:
            message = (
                f"migration {name} was edited after it was applied (applied checksum "
                f"{state.checksum}, file checksum {migration.checksum})"
            )
            findings.append(violation("MC521", message, where=where))
    return findings
