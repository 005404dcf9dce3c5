"""Where the database comes from, and how an unreachable one is reported."""

from __future__ import annotations

import pytest

from model_conformance.db import DatabaseUnavailable, connect, describe_target, resolve_dsn

_LIBPQ = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODEL_CONFORMANCE_DSN", raising=False)
    for name in _LIBPQ:
        monkeypatch.delenv(name, raising=False)


def test_an_explicit_dsn_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_CONFORMANCE_DSN", "host=from-env")
    monkeypatch.setenv("PGHOST", "from-libpq")
    assert resolve_dsn("host=explicit") == "host=explicit"


def test_the_environment_variable_comes_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_CONFORMANCE_DSN", "host=from-env")
    monkeypatch.setenv("PGHOST", "from-libpq")
    assert resolve_dsn(None) == "host=from-env"


def test_libpq_variables_come_before_the_embedded_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGDATABASE", "registry")
    assert resolve_dsn(None) == ""  # empty: libpq reads its own variables


def test_the_password_never_appears_in_the_description() -> None:
    description = describe_target("postgresql://bob:hunter2@db.example.org:6543/models")
    assert description == "db.example.org:6543/models"


def test_connection_refused_is_one_sentence_naming_the_host() -> None:
    with pytest.raises(DatabaseUnavailable) as excinfo:
        connect("postgresql://bob:hunter2@127.0.0.1:1/models")
    message = str(excinfo.value)
    assert message.startswith("cannot connect to PostgreSQL at 127.0.0.1:1/models")
    assert "hunter2" not in message
    assert "\n" not in message
    assert excinfo.value.code == "MC601"


def test_an_unparseable_dsn_is_a_database_error_too() -> None:
    with pytest.raises(DatabaseUnavailable, match="cannot be parsed"):
        connect("host=x port")


def test_connect_reaches_a_real_database(db_dsn: str) -> None:
    with connect(db_dsn) as conn:
        row = conn.execute("SELECT current_setting('application_name')").fetchone()
    assert row == ("model-conformance",)


SECRET = "Zq9secretWORD"


@pytest.mark.parametrize(
    "dsn",
    [
        f"postgresql://bob:pa/{SECRET}@127.0.0.1:1/models",
        f"postgresql://bob:p@{SECRET}@127.0.0.1:1/models",
        f"postgresql://bob:{SECRET}:x@127.0.0.1:1/models",
        f"postgresql://bob:p#{SECRET}@127.0.0.1:1/models",
        f"postgresql://bob:{SECRET}%ZZ@127.0.0.1:1/models",
        f"postgresql://bob:{SECRET}%40@127.0.0.1:1/models?connect_timeout=abc",
        f"postgresql://bob:\"{SECRET}'@127.0.0.1:1/models",
        f"host=127.0.0.1 port=1 password='{SECRET} with spaces'",
        f"host=127.0.0.1 port=1 password='{SECRET}\\'quoted' connect_timeout=abc",
        f"host=127.0.0.1 port=1 password={SECRET} sslmode=bogus",
        f"host=127.0.0.1 port=1 password={SECRET} port",
    ],
)
def test_no_password_shape_reaches_a_message(dsn: str) -> None:
    with pytest.raises(DatabaseUnavailable) as excinfo:
        connect(dsn)
    message = str(excinfo.value)
    assert SECRET not in message
    assert "secret" not in message.lower()
    assert "\n" not in message


def test_a_bad_parameter_value_is_one_sentence_not_a_traceback() -> None:
    with pytest.raises(DatabaseUnavailable, match="bad value for connect_timeout"):
        connect("postgresql://bob@127.0.0.1:1/models?connect_timeout=abc")
