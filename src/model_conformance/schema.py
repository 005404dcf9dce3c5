"""Loading a metadata schema: its draft, its meta-schema check, and local-only `$ref`s.

One engine, jsonschema-rs, compiles the schema, checks it against its meta-schema and
explains failures, always under the draft that the schema's `$schema` names (Draft-07 when
it names none). No schema is ever fetched from the network: a `$ref` resolves against the
schema's own folder, the bundled schemas, or a folder of saved schemas keyed by their `$id`;
anything else refuses the schema at load time with one sentence (MC620).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import jsonschema_rs

from model_conformance._resources import resource_dir
from model_conformance.json_reader import NotRegularFile, TooLarge, os_reason, read_bytes
from model_conformance.violations import ConformanceError, make_pointer, pointer_to_path

BUNDLED_SCHEMA_NAME = "model_artifact_metadata.json"
_BUNDLED_ID = "https://schemas.model-conformance.dev/model_artifact_metadata.json"
# A schema's JSON is read whole to compile it; beyond this it is surely not a schema.


class Draft(NamedTuple):
    name: str
    meta_uri: str  # the canonical `$schema` URI
    validator_class: Any


DRAFT4 = Draft("Draft-04", "http://json-schema.org/draft-04/schema#", jsonschema_rs.Draft4Validator)
DRAFT6 = Draft("Draft-06", "http://json-schema.org/draft-06/schema#", jsonschema_rs.Draft6Validator)
DRAFT7 = Draft("Draft-07", "http://json-schema.org/draft-07/schema#", jsonschema_rs.Draft7Validator)
DRAFT2019 = Draft(
    "Draft 2019-09",
    "https://json-schema.org/draft/2019-09/schema",
    jsonschema_rs.Draft201909Validator,
)
DRAFT2020 = Draft(
    "Draft 2020-12",
    "https://json-schema.org/draft/2020-12/schema",
    jsonschema_rs.Draft202012Validator,
)
_DRAFTS = {_d.meta_uri.rstrip("#"): _d for _d in (DRAFT4, DRAFT6, DRAFT7, DRAFT2019, DRAFT2020)}


class SchemaError(ConformanceError):
    """The schema cannot be used: unreadable, not JSON, not a valid schema, an unsupported
    draft, or a `$ref` that only the network could resolve."""

    code = "MC620"


class RemoteReference(SchemaError):
    """A `$ref` that only the network could resolve."""

    def __init__(self, uri: str, schema_path: Path | None = None) -> None:
        self.uri = uri
        where = f"{schema_path}: " if schema_path else ""
        super().__init__(
            f"{where}`$ref` target {uri} is not a local file. model_conformance never fetches "
            "schemas from the network: save that schema in a folder, with its `$id` set to "
            "that URL, and name the folder with --schema-dir (or `schema_dir` in "
            "[tool.model_conformance])"
        )


@dataclass(frozen=True)
class Schema:
    """A loaded, checked schema; its `$ref`s resolve against local files only."""

    document: Any  # an object, or a boolean schema
    path: Path
    base_uri: str
    draft: Draft = DRAFT7
    saved: dict[str, Any] = field(default_factory=dict)  # saved schemas by `$id`

    @property
    def known_keys(self) -> frozenset[str]:
        """Top-level property names: the vocabulary the typo rule compares unknown keys with."""
        properties = self.document.get("properties") if isinstance(self.document, dict) else None
        return frozenset(properties) if isinstance(properties, dict) else frozenset()

    def retrieve(self, uri: str) -> Any:
        """The document behind a `$ref` URI, from a saved schema or a local file; never from
        the network.

        A URI resolves when a saved schema has it as its `$id`, when it is a `file:` URI on
        this machine, or when it sits beside this schema's base URI or the bundled schema's
        `$id` (then the file of that name beside the schema is read).
        """
        uri = urldefrag(urljoin(self.base_uri, uri)).url
        if uri == urldefrag(self.base_uri).url:
            return self.document
        if uri in self.saved:
            return self.saved[uri]
        parsed = urlparse(uri)
        if parsed.scheme == "file":
            # `//host/x.json` joined to a file: base names another machine, not /x.json.
            if parsed.netloc not in ("", "localhost"):
                raise RemoteReference(uri, self.path)
            return self._checked(Path(unquote(parsed.path)))
        for folder, base in _local_bases(self):
            if uri.startswith(base):
                # unquote, not urllib.request's url2pathname: that import alone costs
                # lint ~4% of a 2,000-file run (http.client, email, ssl)
                return self._checked(folder / unquote(uri[len(base) :]))
        raise RemoteReference(uri, self.path)

    def registry(self) -> Any:
        """A jsonschema-rs registry of this schema and its saved schemas, which finds any
        other `$ref` target as `retrieve` does: how the engine resolves references."""
        return jsonschema_rs.Registry(
            [(self.base_uri, self.document), *self.saved.items()], retriever=self.retrieve
        )

    def _checked(self, path: Path) -> Any:
        """A schema file a `$ref` reaches, read and checked as this one was (the bundled
        schemas are checked by the test suite)."""
        document = _read_json(path)
        if self.path != bundled_schema_path():
            _check_against_metaschema(document, path, self.draft)
        return document

    def compile(self, **options: Any) -> Any:
        """A jsonschema-rs validator for this schema under its own draft.

        A `$ref` that cannot be retrieved raises the `SchemaError` that says why, not the
        engine's wrapping of it.
        """
        refused: list[SchemaError] = []

        def retrieve(uri: str) -> Any:
            try:
                return self.retrieve(uri)
            except SchemaError as exc:
                refused.append(exc)
                raise

        try:
            return self.draft.validator_class(
                self.document,
                validate_formats=True,
                retriever=retrieve,
                registry=jsonschema_rs.Registry(list(self.saved.items()), retriever=retrieve),
                base_uri=self.base_uri,
                **options,
            )
        except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
            if refused:
                raise refused[0] from None
            message = _shorten(str(getattr(exc, "message", None) or exc))
            raise SchemaError(f"{self.path}: the schema cannot be compiled: {message}") from None


def _local_bases(schema: Schema) -> Iterator[tuple[Path, str]]:
    """(folder, base URI) pairs: a URI under the base names a file in the folder."""
    if schema.path.name:
        yield schema.path.resolve().parent, urljoin(schema.base_uri, ".")
    yield bundled_schema_path().parent, urljoin(_BUNDLED_ID, ".")


def bundled_schema_path() -> Path:
    return resource_dir("schemas") / BUNDLED_SCHEMA_NAME


@cache
def default_schema() -> Schema:
    return load_schema(None)


def load_schema(path: str | Path | None = None, schema_dir: str | Path | None = None) -> Schema:
    """Load and check a schema file (the bundled model metadata schema when `path` is None).

    A user's schema is checked against its draft's meta-schema and compiled, so that every
    `$ref` is resolved and a broken schema fails here with one sentence. `schema_dir` names
    a folder of saved schemas (`*.json`, each keyed by its `$id`) that `$ref`s may point at.
    The bundled schema is checked by the test suite instead, which keeps start-up fast.
    """
    schema_path = Path(path) if path is not None else bundled_schema_path()
    try:
        document = _read_json(schema_path)
        saved = _saved_schemas(Path(schema_dir)) if schema_dir is not None else {}
        return schema_from_document(document, schema_path, saved, check=path is not None)
    except SchemaError:
        raise
    except UnicodeError:
        raise SchemaError(
            f"{schema_path}: the schema holds a lone surrogate (an unpaired \\u escape) in a "
            "key or a string; fix it"
        ) from None
    except (ValueError, OSError, RecursionError) as exc:  # a URL or path nothing can read
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise SchemaError(f"{schema_path}: the schema cannot be used: {reason}") from None


def schema_from_document(
    document: Any, path: Path, saved: dict[str, Any] | None = None, *, check: bool = True
) -> Schema:
    """A `Schema` for an in-memory document, as if it had been read from `path`."""
    if not isinstance(document, dict | bool):
        raise SchemaError(f"{path}: a schema must be a JSON object or a boolean")
    schema = Schema(
        document, path, _base_uri(path, document), _draft_of(path, document), saved or {}
    )
    if check:
        _check_against_metaschema(document, path, schema.draft)
        for uri, saved_document in schema.saved.items():
            _check_against_metaschema(saved_document, f"saved schema {uri}", schema.draft)
        schema.compile()
    return schema


def _draft_of(path: Path | str, document: Any, default: Draft = DRAFT7) -> Draft:
    if not isinstance(document, dict) or "$schema" not in document:
        return default
    declared = document["$schema"]
    if isinstance(declared, str):
        uri = declared.rstrip("#")
        # http and https spellings of one draft's URI are both seen in the wild.
        alternate = (
            uri.replace("https:", "http:", 1)
            if uri.startswith("https:")
            else uri.replace("http:", "https:", 1)
        )
        draft = _DRAFTS.get(uri) or _DRAFTS.get(alternate)
        if draft is not None:
            return draft
    supported = ", ".join(d.meta_uri for d in _DRAFTS.values())
    shown = json.dumps(declared)
    shown = shown if len(shown) <= 120 else shown[:119] + "…"
    raise SchemaError(
        f"{path}: `$schema` {shown} is not a draft model_conformance supports; "
        f"use one of {supported}, or leave `$schema` out for Draft-07"
    )


def _read_json(path: Path) -> Any:
    # The same bounded reading as metadata files: no FIFO blocks, nothing over 64 MiB.
    try:
        text = read_bytes(str(path)).decode("utf-8")
    except (NotRegularFile, TooLarge) as exc:
        raise SchemaError(f"cannot read schema {path}: {exc}") from None
    except OSError as exc:
        raise SchemaError(f"cannot read schema {path}: {os_reason(exc)}") from None
    except UnicodeDecodeError:
        raise SchemaError(f"cannot read schema {path}: it is not UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(
            f"{path}:{exc.lineno}:{exc.colno}: schema is not valid JSON: {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise SchemaError(f"{path}: schema cannot be read: {exc}") from None


def _declared_id(document: Any) -> str | None:
    """`$id`, or Draft-04's `id` when the schema declares Draft-04."""
    if not isinstance(document, dict):
        return None
    declared = document.get("$id")
    draft = str(document.get("$schema", "")).replace("https:", "http:", 1).rstrip("#")
    if declared is None and draft == DRAFT4.meta_uri.rstrip("#"):  # either spelling
        declared = document.get("id")
    return declared if isinstance(declared, str) else None


def _saved_schemas(folder: Path) -> dict[str, Any]:
    """The saved schemas in `folder`, keyed by their `$id` (without a fragment)."""
    if not folder.is_dir():
        raise SchemaError(f"schema folder {folder} is not a directory")
    saved: dict[str, Any] = {}
    for file in sorted(folder.rglob("*.json")):
        document = _read_json(file)
        uri = _declared_id(document)
        if not isinstance(uri, str) or not urlparse(uri).scheme:
            raise SchemaError(
                f"{file}: a saved schema needs an absolute `$id` (the URL that `$ref`s name)"
            )
        key = urldefrag(uri).url
        if key in saved:
            raise SchemaError(f"{file}: another file in {folder} has the same `$id` {key}")
        saved[key] = document
    return saved


def _check_against_metaschema(document: Any, source: Path | str, default: Draft) -> None:
    """Check `document` against its declared draft's meta-schema; one without `$schema` is
    read under `default` (Draft-07 for the schema itself, that schema's draft for one it
    reaches by `$ref`)."""
    if not isinstance(document, dict):
        return  # true and false are schemas too
    draft = _draft_of(source, document, default)
    declared = {**document, "$schema": draft.meta_uri}
    try:
        jsonschema_rs.meta.validate(declared)
    except jsonschema_rs.ValidationError as error:
        where = pointer_to_path(make_pointer(error.instance_path))
        raise SchemaError(
            f"{source}: not a valid {draft.name} schema at {where}: {_shorten(error.message)}"
        ) from None
    except jsonschema_rs.ReferencingError as exc:
        raise SchemaError(f"{source}: cannot check the schema: {_shorten(str(exc))}") from None


def _shorten(text: str, limit: int = 300) -> str:
    first = text.split("\n", 1)[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _base_uri(path: Path, document: Any) -> str:
    declared = _declared_id(document)
    if isinstance(declared, str) and urlparse(declared).scheme:
        return urldefrag(declared).url
    file_uri = path.resolve().as_uri()
    # A root `$id: "#name"` (Draft-07) names the root, not another base.
    joined = urljoin(file_uri, declared) if isinstance(declared, str) and declared else file_uri
    return urldefrag(joined).url
