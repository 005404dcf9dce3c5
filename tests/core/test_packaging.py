"""The installed package, not only the checkout, carries the schema and the migrations."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [built] = out.glob("model_conformance-*.whl")
    return built


def test_the_wheel_carries_the_schema_migrations_and_type_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "model_conformance/schemas/model_artifact_metadata.json" in names
    assert "model_conformance/py.typed" in names
    assert any(n.startswith("model_conformance/migrations/0001_") for n in names)


def test_the_schema_loads_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path)
    probe = (
        "import model_conformance as mc, sys;"
        "s = mc.load_schema();"
        "print(s.path);"
        "print(len(mc.validate_metadata({})))"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    schema_path, count = result.stdout.split()
    assert Path(schema_path).is_relative_to(tmp_path)
    assert int(count) > 0


def test_python_dash_m_shows_help_with_exit_code_zero() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "model_conformance", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "Usage: model-conformance" in result.stdout
    assert "lint" in result.stdout
