"""The registration document: a JSON object parsed into a typed `Registration`.

    {"artifact": {"id": ..., "title": ..., lineage fields},
     "metadata": {... the model metadata, validated by the core ...},
     "model_version": {... model_versions columns ...}}

Parsing never raises on bad input: every problem becomes a `Violation` whose pointer says
where it is in the document, so that one pass reports all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from model_conformance.version_rules import commit_sha_message, is_full_commit_sha
from model_conformance.violations import (
    Violation,
    as_json,
    has_password,
    make_pointer,
    without_credentials,
)

Parser = Callable[[object, str], tuple[Any, Violation | None]]


def _text(value: object, pointer: str) -> tuple[Any, Violation | None]:
    if isinstance(value, str) and value.strip():
        return value, None
    return None, Violation("MC401", f"must be a non-empty string, not {as_json(value)}", pointer)


def _integer(value: object, pointer: str) -> tuple[Any, Violation | None]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value, None
    return None, Violation("MC401", f"must be an integer, not {as_json(value)}", pointer)


def _boolean(value: object, pointer: str) -> tuple[Any, Violation | None]:
    if isinstance(value, bool):
        return value, None
    return None, Violation("MC401", f"must be true or false, not {as_json(value)}", pointer)


def _object(value: object, pointer: str) -> tuple[Any, Violation | None]:
    if isinstance(value, dict):
        return value, None
    return None, Violation("MC401", f"must be a JSON object, not {as_json(value)}", pointer)


def _url(value: object, pointer: str) -> tuple[Any, Violation | None]:
    if isinstance(value, str) and has_password(value):
        message = (
            f"must not carry a password or token ({as_json(without_credentials(value))}): "
            "the registry would keep it; let git's credential helper hold it"
        )
        return None, Violation("MC403", message, pointer)
    if isinstance(value, str) and _is_http_url(value):
        return value, None
    shown = without_credentials(value) if isinstance(value, str) else value
    return None, Violation(
        "MC403", f"must be an http(s) URL such as https://host/path, not {as_json(shown)}", pointer
    )


def _is_http_url(value: str) -> bool:
    if any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError for a malformed port)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _sha(value: object, pointer: str) -> tuple[Any, Violation | None]:
    if is_full_commit_sha(value):
        return value, None
    return None, Violation("MC402", commit_sha_message(value), pointer)


def _timestamp(value: object, pointer: str) -> tuple[Any, Violation | None]:
    problem = (
        "must be an ISO 8601 date-time with a time zone, e.g. 2024-05-01T12:00:00Z, "
        f"not {as_json(value)}"
    )
    if not isinstance(value, str):
        return None, Violation("MC404", problem, pointer)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None, Violation("MC404", problem, pointer)
    if parsed.tzinfo is None:
        return None, Violation("MC404", problem, pointer)
    return parsed, None


# The artifact's own fields (the `artifacts` row), by column name.
ARTIFACT_FIELDS: dict[str, Parser] = {
    "id": _text,
    "title": _text,
    "version_number": _integer,
    "parent_version_id": _text,
    "version_tag": _text,
    "changelog": _text,
    "is_latest": _boolean,
    "lifecycle_state": _text,
    "superseded_by": _text,
    "origin_type": _text,
    "origin_url": _url,
}

# The `model_versions` fields a registration may give, by column name. promotion_state is
# not among them: a new registration always starts as a candidate.
VERSION_FIELDS: dict[str, Parser] = {
    "is_external": _boolean,
    "external_source_url": _url,
    "external_source_version": _text,
    "base_model_id": _text,
    "code_repo_url": _url,
    "code_commit_sha": _sha,
    "code_entrypoint": _text,
    "training_started_at": _timestamp,
    "training_completed_at": _timestamp,
    "trained_by": _text,
    "gpu_allocation_id": _text,
    "training_params_json": _object,
    "eval_metrics_json": _object,
    "eval_dataset_artifact_id": _text,
    "benchmark_id": _text,
    "promotion_notes": _text,
}

_SECTIONS = ("artifact", "metadata", "model_version")

# model_versions column -> the metadata key that supplies it when the version omits it.
_FROM_METADATA = {
    "is_external": "is_external",
    "external_source_url": "external_source_url",
    "external_source_version": "external_source_version",
    "base_model_id": "base_model_id",
    "benchmark_id": "benchmark_id",
    "training_params_json": "training_config",
    "eval_metrics_json": "evaluation_metrics",
}


@dataclass(frozen=True, slots=True)
class ArtifactFields:
    id: str
    title: str | None = None
    version_number: int | None = None
    parent_version_id: str | None = None
    version_tag: str | None = None
    changelog: str | None = None
    is_latest: bool | None = None
    lifecycle_state: str | None = None
    superseded_by: str | None = None
    origin_type: str | None = None
    origin_url: str | None = None


@dataclass(frozen=True, slots=True)
class VersionFields:
    is_external: bool | None = None
    external_source_url: str | None = None
    external_source_version: str | None = None
    base_model_id: str | None = None
    code_repo_url: str | None = None
    code_commit_sha: str | None = None
    code_entrypoint: str | None = None
    training_started_at: datetime | None = None
    training_completed_at: datetime | None = None
    trained_by: str | None = None
    gpu_allocation_id: str | None = None
    training_params_json: dict[str, Any] | None = None
    eval_metrics_json: dict[str, Any] | None = None
    eval_dataset_artifact_id: str | None = None
    benchmark_id: str | None = None
    promotion_notes: str | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    """One model version to register: its artifact row, its metadata, its version row."""

    artifact: ArtifactFields
    metadata: dict[str, Any]
    model_version: VersionFields = field(default_factory=VersionFields)

    @property
    def id(self) -> str:
        return self.artifact.id

    def artifact_row(self) -> dict[str, Any]:
        """The `artifacts` row to write, by column name."""
        row = {name: getattr(self.artifact, name) for name in ARTIFACT_FIELDS}
        row["artifact_type"] = "model"
        row["metadata"] = self.metadata
        if row["is_latest"] is None:
            row["is_latest"] = True  # the column's default, written explicitly
        return row

    def version_row(self) -> dict[str, Any]:
        """The `model_versions` row to write, by column name.

        Fields the version does not give are taken from the metadata where it says the same
        thing (is_external, external source, base model, benchmark, training_config as
        training_params_json, evaluation_metrics as eval_metrics_json).
        """
        row = {name: getattr(self.model_version, name) for name in VERSION_FIELDS}
        row["artifact_id"] = self.id
        for column, key in _FROM_METADATA.items():
            if row[column] is None and self.metadata.get(key) is not None:
                row[column] = self.metadata[key]
        if row["is_external"] is None:
            row["is_external"] = False
        return row

    def version_pointer(self, column: str) -> str:
        """Where a version value came from: the model_version section, or the metadata."""
        if getattr(self.model_version, column) is None and column in _FROM_METADATA:
            return make_pointer(["metadata", _FROM_METADATA[column]])
        return make_pointer(["model_version", column])

    @classmethod
    def from_dict(cls, doc: object) -> tuple[Registration | None, list[Violation]]:
        """Parse a registration document; (None, violations) when it cannot be built.

        Only the document's shape and field formats are checked here; the metadata and the
        rules across fields are checked by `validate_registration`.
        """
        if not isinstance(doc, Mapping):
            return None, [
                Violation("MC401", f"a registration must be a JSON object, not {as_json(doc)}")
            ]
        violations = [
            Violation(
                "MC401",
                f"unknown key {as_json(key)}; a registration has {', '.join(_SECTIONS)}",
                make_pointer([key]),
            )
            for key in doc
            if key not in _SECTIONS
        ]
        artifact = _section(doc, "artifact", ARTIFACT_FIELDS, ("id",), violations)
        version = _section(doc, "model_version", VERSION_FIELDS, (), violations, optional=True)
        metadata = doc.get("metadata")
        if "metadata" not in doc:
            violations.append(Violation("MC401", 'missing required key "metadata"'))
        elif not isinstance(metadata, dict):
            violations.append(
                Violation("MC401", f"must be a JSON object, not {as_json(metadata)}", "/metadata")
            )
        if violations or artifact is None or version is None or not isinstance(metadata, dict):
            return None, violations
        return cls(ArtifactFields(**artifact), metadata, VersionFields(**version)), []


def _section(
    doc: Mapping[str, Any],
    name: str,
    fields: dict[str, Parser],
    required: tuple[str, ...],
    violations: list[Violation],
    *,
    optional: bool = False,
) -> dict[str, Any] | None:
    if name not in doc:
        if optional:
            return {}
        violations.append(Violation("MC401", f"missing required key {as_json(name)}"))
        return None
    section = doc[name]
    if not isinstance(section, dict):
        violations.append(
            Violation("MC401", f"must be a JSON object, not {as_json(section)}", f"/{name}")
        )
        return None
    values: dict[str, Any] = {}
    before = len(violations)
    for key in required:
        if section.get(key) is None:
            violations.append(
                Violation("MC401", f"missing required key {as_json(key)}", f"/{name}")
            )
    for key, value in section.items():
        pointer = make_pointer([name, key])
        parse = fields.get(key)
        if parse is None:
            violations.append(Violation("MC401", f"unknown key {as_json(key)}", pointer))
            continue
        if value is None:  # null means "not given"
            continue
        parsed, problem = parse(value, pointer)
        if problem is not None:
            violations.append(problem)
        else:
            values[key] = parsed
    return values if len(violations) == before else None
