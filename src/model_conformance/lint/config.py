"""`lint` settings: `[tool.model_conformance]` in the nearest pyproject.toml, then the flags.

Keys read: `schema` (path, relative to the pyproject.toml), `schema_dir` (a folder of saved
schemas that `$ref`s may name by their `$id`), `select` and `ignore` (lists of
code prefixes, like ruff's), `strict` (bool), `paths` (what to lint when no PATH is given),
`max_size` (the largest file read, e.g. "64MiB", the default). `repositories` belongs to
`verify-pins` (pins/resolve.py).
Any other key is an error, so that a typo (`selct`) cannot silently change nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from model_conformance.codes import RULES
from model_conformance.violations import ConformanceError

# Every key of [tool.model_conformance], whichever command reads it. The table is shared by
# all commands, so this is the one list: a command that reads a new key adds it here.
KNOWN_KEYS = (
    "schema",
    "schema_dir",
    "select",
    "ignore",
    "strict",
    "paths",
    "max_size",
    "repositories",
    "gates",
)


class LintConfigError(ConformanceError):
    """The lint settings cannot be used: a bad pyproject.toml, an unknown code, a bad value."""

    code = "MC390"


@dataclass(frozen=True)
class Selection:
    """Which rule codes are reported: those matching a `select` prefix and no `ignore` one."""

    select: tuple[str, ...] = ("MC",)
    ignore: tuple[str, ...] = ()

    def __call__(self, code: str) -> bool:
        return code.startswith(self.select) and not code.startswith(self.ignore)


class LintSettings(NamedTuple):
    schema: Path | None = None
    schema_dir: Path | None = None
    selection: Selection = Selection()
    strict: bool = False
    paths: tuple[Path, ...] = ()
    source: Path | None = None  # the pyproject.toml the settings came from, if any
    max_size: int | None = None  # bytes; None: the reader's default (64 MiB)


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a `[tool.model_conformance]`."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "model_conformance" in _tool_table(candidate):
            return candidate
    return None


def load_settings(pyproject: Path | None) -> LintSettings:
    if pyproject is None:
        return LintSettings()
    table = _tool_table(pyproject)["model_conformance"]
    if not isinstance(table, dict):
        raise LintConfigError(f"{pyproject}: [tool.model_conformance] must be a table")
    where = f"{pyproject}: [tool.model_conformance]"
    _check_keys(table, where)
    base = pyproject.parent
    schema = table.get("schema")
    if schema is not None and not isinstance(schema, str):
        raise LintConfigError(f"{where} `schema` must be a path string")
    schema_dir = table.get("schema_dir")
    if schema_dir is not None and not isinstance(schema_dir, str):
        raise LintConfigError(f"{where} `schema_dir` must be a path string")
    strict = table.get("strict", False)
    if not isinstance(strict, bool):
        raise LintConfigError(f"{where} `strict` must be true or false")
    max_size = table.get("max_size")
    if max_size is not None:
        max_size = _size(max_size, where)
    select = _string_list(table, "select", where)
    if "select" in table and not select:
        # Selecting nothing would report nothing; "all" would surprise just as much.
        raise LintConfigError(f"{where} `select` is empty; leave it out to select every rule")
    return LintSettings(
        schema=base / schema if schema else None,
        schema_dir=base / schema_dir if schema_dir else None,
        selection=Selection(
            select=parse_codes(select, where) or ("MC",),
            ignore=parse_codes(_string_list(table, "ignore", where), where),
        ),
        strict=strict,
        # Relative to the current directory, so that reports name files the way git does.
        paths=tuple(Path(os.path.relpath(base / p)) for p in _string_list(table, "paths", where)),
        source=pyproject,
        max_size=max_size,
    )


def _size(value: object, where: str) -> int:
    from model_conformance.json_reader import parse_size

    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    try:
        return parse_size(value) if isinstance(value, str) else parse_size(repr(value))
    except ValueError as exc:
        raise LintConfigError(f"{where} `max_size`: {exc}") from None


def parse_codes(values: list[str] | tuple[str, ...], where: str) -> tuple[str, ...]:
    """Code prefixes from flags or config ("MC3", "MC101,MC2"), each checked against the
    catalogue so that a typo is an error instead of a silent no-op. A value that names no
    code at all (`--select ,,`) is an error too: it would otherwise mean every rule."""
    prefixes: list[str] = []
    for value in values:
        if not value.replace(",", "").strip():
            raise LintConfigError(
                f"{where}: {value!r} names no rule code; give code prefixes such as MC1 or "
                "MC301, separated by commas"
            )
        for item in value.split(","):
            prefix = item.strip().upper()
            if not prefix:
                continue
            if prefix == "ALL":
                prefix = "MC"
            if not any(code.startswith(prefix) for code in RULES):
                raise LintConfigError(
                    f"{where}: {item.strip()!r} matches no rule code "
                    "(codes look like MC301; see docs/rules.md)"
                )
            prefixes.append(prefix)
    return tuple(prefixes)


def _check_keys(table: dict[str, Any], where: str) -> None:
    for key in table:
        if key not in KNOWN_KEYS:
            nearest = min(KNOWN_KEYS, key=lambda known: _edit_distance(key, known))
            close = _edit_distance(key, nearest) <= 2
            hint = f" (did you mean `{nearest}`?)" if close else ""
            raise LintConfigError(
                f"{where} has an unknown key `{key}`{hint}; the known keys are "
                + ", ".join(f"`{k}`" for k in KNOWN_KEYS)
            )


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions each count 1."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def tool_table(pyproject: Path) -> dict[str, Any]:
    """The `[tool]` table of `pyproject` (other commands read their keys from it too:
    `verify-pins` reads `repositories`)."""
    return _tool_table(pyproject)


def _tool_table(pyproject: Path) -> dict[str, Any]:
    import tomllib  # here: a lint run with no pyproject.toml around never pays for it

    try:
        with pyproject.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise LintConfigError(f"cannot read {pyproject}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LintConfigError(f"{pyproject} is not valid TOML: {exc}") from None
    tool = document.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def _string_list(table: dict[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LintConfigError(f"{where} `{key}` must be a list of strings")
    return value
