"""The metadata pass: every model artifact's metadata, streamed through the core validator.

A server-side cursor hands rows over in batches, so memory stays bounded however large the
registry is; only failing documents leave anything behind (their findings).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from psycopg import Connection

from model_conformance.scan.findings import Finding
from model_conformance.validator import MetadataValidator

DEFAULT_BATCH_SIZE = 5_000

# As text, parsed here: psycopg's jsonb loader costs twice what parsing the text does.
_QUERY = "SELECT id, metadata::text FROM artifacts WHERE artifact_type = 'model'"


def metadata_findings(
    conn: Connection[Any],
    validator: MetadataValidator,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Finding]:
    """Findings (column `metadata`, the core's code and pointer) for every failing document.

    `validate` is called once per document: the core's own fast path already skips the
    explaining validator for schema-valid documents, and `is_valid` would run the semantic
    rules a second time. `progress` is told how many rows each batch held.
    """
    validate = validator.validate
    with conn.cursor(name="model_conformance_metadata") as cursor:
        cursor.itersize = batch_size
        cursor.execute(_QUERY)
        while rows := cursor.fetchmany(batch_size):
            for artifact_id, text in rows:
                doc = None if text is None else _loads(text)
                for violation in validate(doc):
                    yield Finding(
                        artifact_id,
                        violation.code,
                        "metadata",
                        violation.pointer,
                        violation.message,
                        violation.severity,
                    )
            if progress is not None:
                progress(len(rows))


def _loads(text: str) -> Any:
    """orjson (well under half the cost of json), json for what orjson refuses (1e400).

    orjson reads an integer beyond 64 bits as a float; the schema judges 1e30 and 10**30
    alike (both whole numbers), so only such a number's rendering in a message can differ.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
