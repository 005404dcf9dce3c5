"""Where the database comes from, and how to talk about it without leaking a password.

Precedence: an explicit DSN, then `MODEL_CONFORMANCE_DSN`, then libpq's own `PG*` variables,
then the embedded server (started on demand).
"""

from __future__ import annotations

import os
import re

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import TupleRow

from model_conformance.db.errors import DatabaseError, DatabaseUnavailable

DSN_ENV = "MODEL_CONFORMANCE_DSN"

# libpq variables that say "a server has been chosen for you"; PGPASSWORD alone does not.
_LIBPQ_TARGET_VARS = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")

CONNECT_TIMEOUT_SECONDS = 5
APPLICATION_NAME = "model-conformance"


def resolve_dsn(dsn: str | None = None) -> str:
    """The DSN to use; an empty string means "libpq's PG* variables decide"."""
    if dsn:
        return dsn
    from_env = os.environ.get(DSN_ENV)
    if from_env:
        return from_env
    if any(os.environ.get(name) for name in _LIBPQ_TARGET_VARS):
        return ""
    from model_conformance.db.embedded import ensure_started

    server = ensure_started()
    assert server.uri is not None  # a started server always has one
    return server.uri


def describe_target(dsn: str) -> str:
    """`host:port/dbname` for messages: never the password, never the full DSN."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "an unparseable DSN"
    host = str(params.get("host") or os.environ.get("PGHOST") or "localhost")
    port = str(params.get("port") or os.environ.get("PGPORT") or "5432")
    dbname = str(params.get("dbname") or os.environ.get("PGDATABASE") or "")
    where = host if host.startswith("/") else f"{host}:{port}"
    return f"{where}/{dbname}" if dbname else where


def refused(exc: psycopg.Error) -> DatabaseError:
    """What PostgreSQL refused, in one sentence: the server's first line, which names no
    password (`DatabaseError`, MC609)."""
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return DatabaseError(f"PostgreSQL refused the request: {first_line}")


def connect(dsn: str | None = None, *, autocommit: bool = False) -> psycopg.Connection[TupleRow]:
    """Open a connection, or raise `DatabaseUnavailable` with one sentence within seconds.

    No sentence ever carries the password, whatever the DSN's shape: a URL whose password
    holds an unencoded `/`, `@`, `?` or `#` is refused before libpq cuts it into a host, a
    port and a database name that would each quote a piece of it, and every message is
    scrubbed of the password besides.
    """
    resolved = resolve_dsn(dsn)
    if _unencoded_userinfo(resolved):
        raise DatabaseUnavailable(
            "the database URL's user or password holds an unencoded '/', '@', '?' or '#': "
            "percent-encode them (%2F, %40, %3F, %23), or use key=value pairs with "
            "password='...'"
        )
    try:
        params = conninfo_to_dict(resolved)
    except psycopg.ProgrammingError:
        # libpq's reason quotes the offending value, which may be the password: not shown.
        raise DatabaseUnavailable(
            "the database DSN (from --dsn, MODEL_CONFORMANCE_DSN or PG* variables) cannot be "
            "parsed: write it as postgresql://user@host:port/dbname or as key=value pairs, "
            "percent-encoding special characters in the password"
        ) from None
    defaults: dict[str, str | int] = {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "application_name": APPLICATION_NAME,
    }
    extra = {key: value for key, value in defaults.items() if key not in params}
    try:
        return psycopg.connect(make_conninfo(resolved, **extra), autocommit=autocommit)
    except psycopg.OperationalError as exc:
        target = describe_target(resolved)
        raise DatabaseUnavailable(
            redact(f"cannot connect to PostgreSQL at {target}: {_reason(exc)}", resolved)
        ) from None
    except psycopg.Error as exc:  # a parameter libpq parsed but psycopg refuses (timeouts)
        raise DatabaseUnavailable(
            redact(f"the database DSN cannot be used: {_first_line(exc)}", resolved)
        ) from None


def _unencoded_userinfo(dsn: str) -> bool:
    """True for `postgresql://user:pa/ss@host/db` and `...user:p@ss@host...`: a URL whose
    user information holds characters that end it early."""
    scheme, sep, rest = dsn.partition("://")
    if not sep or scheme not in ("postgresql", "postgres"):
        return False
    if rest.count("@") > 1:
        return True
    userinfo, at, _ = rest.rpartition("@")
    return bool(at) and any(char in userinfo for char in "/?#")


def redact(text: str, dsn: str) -> str:
    """`text` with the DSN's password, and the pieces a parser might have cut it into,
    replaced by `***`."""
    secrets = set()
    try:
        password = conninfo_to_dict(dsn).get("password")
    except psycopg.Error:
        password = None
    if password:
        secrets.add(str(password))
    _, sep, rest = dsn.partition("://")
    if sep:
        userinfo = rest.rpartition("@")[0]
        if ":" in userinfo:
            raw = userinfo.split(":", 1)[1]
            secrets.add(raw)
            secrets.update(piece for piece in re.split(r"[/@?#:]", raw) if len(piece) >= 3)
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _reason(exc: psycopg.OperationalError) -> str:
    """libpq's own cause ("Connection refused", "timeout expired"), without its preamble."""
    line = _first_line(exc)
    _, sep, tail = line.rpartition("failed: ")
    return (tail if sep else line).strip().rstrip(".")
