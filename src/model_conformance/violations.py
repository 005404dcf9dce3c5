"""What every surface reports: a `Violation` with a stable code, a location and a sentence."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem found in one document, row or file.

    `pointer` is a JSON Pointer (RFC 6901) into the document ("" is the whole document);
    `path` renders the same location for people, e.g. `$.evaluation_metrics.auroc`.
    """

    code: str
    message: str
    pointer: str = ""
    severity: Severity = Severity.ERROR

    @property
    def path(self) -> str:
        return pointer_to_path(self.pointer)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "pointer": self.pointer,
            "path": self.path,
            "message": self.message,
        }

    def __str__(self) -> str:
        return f"{self.path}: {self.code} {self.message}"


class ConformanceError(Exception):
    """Base class of every error model_conformance raises on purpose; `code` is stable."""

    code = "MC000"


class MetadataInvalid(ConformanceError):
    """Raised by `check_metadata`: carries every violation, not only the first."""

    code = "MC100"

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "\n".join(f"  {v}" for v in violations)
        super().__init__(f"model metadata has {len(violations)} violation(s):\n{lines}")


def pointer_to_path(pointer: str) -> str:
    """`/evaluation_metrics/auroc` -> `$.evaluation_metrics.auroc`; list indexes as `[0]`."""
    if not pointer:
        return "$"
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    out = "$"
    for part in parts:
        if part.isdigit():
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{json.dumps(part)}]"
    return out


def make_pointer(parts: Any) -> str:
    """Build a JSON Pointer from path elements (keys and list indexes)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def as_json(value: Any) -> str:
    """Render a value for a message the way the user wrote it: JSON, not Python repr."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        return repr(value)
