"""`model-conformance db start|stop|status|url` against a real embedded server of its own."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from model_conformance.cli import cli


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private MODEL_CONFORMANCE_HOME; its server is stopped whatever the test does.

    Outside pytest's basetemp, which a concurrent pytest session may make unreadable to the
    server's own user (see tests/conftest.py).
    """
    root = Path(tempfile.mkdtemp(prefix="mc-home-"))
    monkeypatch.setenv("MODEL_CONFORMANCE_HOME", str(root / "home"))
    yield root / "home"
    CliRunner().invoke(cli, ["db", "stop"])
    shutil.rmtree(root, ignore_errors=True)


def test_start_status_url_stop(home: Path) -> None:
    runner = CliRunner()

    before = runner.invoke(cli, ["db", "status"])
    assert before.exit_code == 0
    assert "not running" in before.output

    started = runner.invoke(cli, ["db", "start"])
    assert started.exit_code == 0, started.output
    assert str(home / "pgdata") in started.output

    assert "is running" in runner.invoke(cli, ["db", "status"]).output

    url = runner.invoke(cli, ["db", "url"]).output.strip()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)

    stopped = runner.invoke(cli, ["db", "stop"])
    assert stopped.exit_code == 0
    assert "stopped" in stopped.output
    assert "not running" in runner.invoke(cli, ["db", "status"]).output


def test_migrate_without_a_dsn_starts_the_embedded_server(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODEL_CONFORMANCE_DSN", raising=False)
    for name in ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"):
        monkeypatch.delenv(name, raising=False)

    result = CliRunner().invoke(cli, ["migrate"])

    assert result.exit_code == 0, result.output
    assert "applied 0002_model_versions.sql" in result.output
    assert (home / "pgdata" / "PG_VERSION").exists()
