from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "registration.json"


@pytest.fixture
def doc() -> dict[str, Any]:
    """The shipped example registration: complete, and valid in an empty registry."""
    loaded: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return loaded
