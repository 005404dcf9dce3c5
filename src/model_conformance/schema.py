"""Loading a metadata schema and the local-only `$ref` registry it resolves against.

No schema is ever fetched from the network: a `$ref` resolves against the schema file's
own directory and the bundled schemas, or the schema is refused at load time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin, urlparse

from model_conformance._resources import resource_dir
from model_conformance.violations import ConformanceError, pointer_to_path

if TYPE_CHECKING:
    import referencing

# jsonschema (with its format extras) and referencing take about a quarter of a second to
# import: they are imported where they are used, so that a lint run over a few valid files,
# answered by the compiled validator, never loads them.

BUNDLED_SCHEMA_NAME = "model_artifact_metadata.json"
_BUNDLED_ID = "https://schemas.model-conformance.dev/model_artifact_metadata.json"


class SchemaError(ConformanceError):
    """The schema cannot be used: unreadable, not JSON, not a valid schema, or a remote `$ref`."""

    code = "MC620"


@dataclass(frozen=True)
class Schema:
    """A loaded, checked schema; its `$ref`s resolve against local files only."""

    document: dict[str, Any]
    path: Path
    base_uri: str

    @property
    def known_keys(self) -> frozenset[str]:
        """Top-level property names: the vocabulary the typo rule compares unknown keys with."""
        properties = self.document.get("properties", {})
        return frozenset(properties) if isinstance(properties, dict) else frozenset()

    def retrieve(self, uri: str) -> Any:
        """The document behind a `$ref` URI, read from a local file; never from the network.

        A URI resolves when it is a `file:` URI, or sits beside this schema's base URI or
        the bundled schema's `$id` (then the file of that name beside the schema is read).
        """
        uri = urljoin(self.base_uri, uri)  # an anonymous root resolves relative to its file
        if uri == self.base_uri:
            return self.document
        if uri.startswith("file:"):
            return _read_json(Path(urlparse(uri).path))
        for folder, base in _local_bases(self):
            if uri.startswith(base):
                return _read_json(folder / uri[len(base) :])
        raise RemoteReference(uri)

    def registry(self) -> referencing.Registry[Any]:
        import referencing
        import referencing.exceptions
        import referencing.jsonschema

        def retrieve(uri: str) -> referencing.Resource[Any]:
            try:
                return referencing.jsonschema.DRAFT7.create_resource(self.retrieve(uri))
            except SchemaError:
                raise referencing.exceptions.NoSuchResource(ref=uri) from None  # type: ignore[call-arg]

        root = referencing.jsonschema.DRAFT7.create_resource(self.document)
        registry: referencing.Registry[Any] = referencing.Registry(retrieve=retrieve)  # type: ignore[call-arg]
        with_root: referencing.Registry[Any] = registry.with_resource(self.base_uri, root)
        return with_root


class RemoteReference(SchemaError):
    """A `$ref` that only the network could resolve."""

    def __init__(self, uri: str, schema_path: Path | None = None) -> None:
        self.uri = uri
        where = f"{schema_path}: " if schema_path else ""
        super().__init__(
            f"{where}`$ref` target {uri} is not a local file. model_conformance never fetches "
            "schemas from the network: save that schema beside your schema file (with its "
            "`$id`) and it will be found."
        )


def _local_bases(schema: Schema) -> Iterator[tuple[Path, str]]:
    yield schema.path.resolve().parent, urljoin(schema.base_uri, ".")
    bundled = bundled_schema_path()
    yield bundled.parent, urljoin(_BUNDLED_ID, ".")


def bundled_schema_path() -> Path:
    return resource_dir("schemas") / BUNDLED_SCHEMA_NAME


@cache
def default_schema() -> Schema:
    return load_schema(None)


def load_schema(path: str | Path | None = None) -> Schema:
    """Load and check a schema file (the bundled model metadata schema when `path` is None).

    A user's schema is checked against its meta-schema and every `$ref` is resolved, so that a
    broken schema fails here with one sentence. The bundled schema is checked by the test
    suite instead (the same checks, on the same file), which keeps start-up fast.
    """
    schema_path = Path(path) if path is not None else bundled_schema_path()
    document = _read_json(schema_path)
    if not isinstance(document, dict):
        raise SchemaError(f"{schema_path}: a schema must be a JSON object")
    schema = Schema(document, schema_path, _base_uri(schema_path, document))
    if path is not None:
        _check_against_metaschema(schema_path, document)
        _check_references_resolve(schema)
    return schema


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemaError(f"cannot read schema {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SchemaError(f"cannot read schema {path}: it is not UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(
            f"{path}:{exc.lineno}:{exc.colno}: schema is not valid JSON: {exc.msg}"
        ) from None


def _check_against_metaschema(path: Path, document: dict[str, Any]) -> None:
    import jsonschema.exceptions
    import jsonschema.validators

    validator_class = jsonschema.validators.validator_for(
        document, default=jsonschema.Draft7Validator
    )
    try:
        validator_class.check_schema(document)
    except jsonschema.exceptions.SchemaError as exc:
        where = pointer_to_path("".join(f"/{p}" for p in exc.absolute_path))
        raise SchemaError(f"{path}: not a valid JSON Schema at {where}: {exc.message}") from None


def _base_uri(path: Path, document: dict[str, Any]) -> str:
    declared = document.get("$id")
    return declared if isinstance(declared, str) and declared else path.resolve().as_uri()


def _check_references_resolve(schema: Schema) -> None:
    import referencing.exceptions

    resolver = schema.registry().resolver(base_uri=schema.base_uri)
    for ref in sorted(set(_references(schema.document))):
        try:
            resolver.lookup(ref)
        except referencing.exceptions.Unresolvable:
            target = urldefrag(urljoin(schema.base_uri, ref)).url
            try:
                schema.retrieve(target)
            except RemoteReference as exc:
                raise RemoteReference(exc.uri, schema.path) from None
            except SchemaError as exc:
                raise SchemaError(f"{schema.path}: {exc}") from None
            raise SchemaError(
                f"{schema.path}: `$ref` {json.dumps(ref)} names a location that does not exist "
                f"in {target}"
            ) from None


def inline_local_references(document: dict[str, Any]) -> dict[str, Any] | None:
    """The schema with each `#/...` `$ref` replaced by its target, or None when it cannot be
    (a remote or recursive reference, or a nested `$id` that moves the base URI).

    The reference validator explains failures about a quarter faster without resolving
    references through the registry. In Draft-07 a `$ref` ignores its sibling keywords, and
    so does the inlined copy, except the annotations (`title`, `description`) that messages
    quote.
    """

    def walk(node: Any, active: tuple[str, ...], top: bool) -> Any:
        if isinstance(node, dict):
            if "$id" in node and not top:
                raise _CannotInline
            ref = node.get("$ref")
            if isinstance(ref, str):
                if not ref.startswith("#/") or ref in active:
                    raise _CannotInline
                target = walk(_follow(document, ref), (*active, ref), False)
                # Annotations beside a $ref do not validate, but messages quote them.
                notes = {k: node[k] for k in _ANNOTATIONS if k in node}
                return {**target, **notes} if notes and isinstance(target, dict) else target
            return {
                key: value if key in ("enum", "const") else walk(value, active, False)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [walk(item, active, False) for item in node]
        return node

    try:
        inlined: dict[str, Any] = walk(document, (), True)
    except _CannotInline:
        return None
    return inlined


_ANNOTATIONS = ("title", "description")


class _CannotInline(Exception):
    pass


def _follow(document: Any, ref: str) -> Any:
    node = document
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and key.isdigit():
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            raise _CannotInline
    return node


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key not in ("enum", "const", "examples", "default"):
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)
