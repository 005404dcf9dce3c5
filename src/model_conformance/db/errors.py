"""Errors of the database layer: each one a sentence for the user and a stable MC6xx code."""

from __future__ import annotations

from model_conformance.violations import ConformanceError


class DatabaseUnavailable(ConformanceError):
    """The database cannot be reached; the message names the host, never the password."""

    code = "MC601"


class EmbeddedServerUnavailable(ConformanceError):
    """The embedded PostgreSQL server cannot be used (extra not installed, failed to start)."""

    code = "MC602"


class MigrationError(ConformanceError):
    """Base class of every refusal of the migration runner."""

    code = "MC603"


class MigrationFileInvalid(MigrationError):
    """A file in migrations/ is not named `NNNN_name.sql`, or two files share a number."""

    code = "MC603"


class MigrationModified(MigrationError):
    """An applied migration file was edited after it was applied."""

    code = "MC604"


class MigrationMissing(MigrationError):
    """An applied migration file is no longer in migrations/."""

    code = "MC605"


class MigrationOutOfOrder(MigrationError):
    """A pending migration is numbered below the highest applied one."""

    code = "MC606"


class MigrationFailed(MigrationError):
    """PostgreSQL rejected a migration's SQL; nothing of that migration was kept."""

    code = "MC607"


class DatabaseNotMigrated(ConformanceError):
    """The registry's tables are missing or behind: `model-conformance migrate` first."""

    code = "MC608"


class DatabaseError(ConformanceError):
    """PostgreSQL refused a statement; the message is the server's first line, which names
    no password."""

    code = "MC609"
