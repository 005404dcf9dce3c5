"""The metadata pass: every model artifact's metadata, streamed through the core validator.

A server-side cursor hands rows over in batches, so memory stays bounded however large the
registry is; only failing documents leave anything behind (their findings). The next batch
is fetched while this one is validated, so the server renders rows as this process checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from psycopg import Connection, sql

from model_conformance.validator import MetadataValidator
from model_conformance.violations import Row, Violation

DEFAULT_BATCH_SIZE = 5_000

# As text, parsed here: psycopg's jsonb loader costs twice what parsing the text does.
_QUERY = "SELECT id, metadata::text FROM artifacts WHERE artifact_type = 'model'"


def metadata_findings(
    conn: Connection[Any],
    validator: MetadataValidator,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    ids: list[str] | None = None,
    max_ids: int = 0,
) -> Iterator[Violation]:
    """Findings (column `metadata`, the core's code and pointer) for every failing document.

    `validate` is called once per document: the
    core's own fast path already skips the explaining validator for schema-valid documents,
    and `is_valid` would run the semantic rules a second time.
    `progress` is told how many rows each batch held; `ids`, if given, receives the artifact
    ids read until it holds more than `max_ids` (then it stops growing: memory stays bounded).
    """
    validate = validator.validate
    loads = orjson.loads
    for rows in batches_ahead(conn, sql.SQL(_QUERY), batch_size):
        if ids is not None and len(ids) <= max_ids:
            ids.extend([row[0] for row in rows])
        for artifact_id, text in rows:
            if text is None:
                doc = None
            else:
                try:
                    doc = loads(text)
                except orjson.JSONDecodeError:
                    doc = _loads_fallback(text)
            violations = doc if isinstance(doc, _Unreadable) else validate(doc)
            if violations:
                where = Row(artifact_id, "metadata")
                for violation in violations:
                    yield violation.at(where)
        if progress is not None:
            progress(len(rows))


def batches_ahead(conn: Connection[Any], query: sql.SQL, batch_size: int) -> Iterator[list[Any]]:
    """The rows of `query`, in batches, the next batch already being fetched in a thread.

    psycopg releases the GIL while it waits for the server, so the server's work on the next
    batch overlaps the caller's work on this one; at most two batches are held at a time.
    """

    def fetched() -> Generator[list[Any]]:
        with conn.cursor(name="model_conformance_metadata") as cursor:
            cursor.itersize = batch_size
            cursor.execute(query)
            while rows := cursor.fetchmany(batch_size):
                yield rows

    source = fetched()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(next, source, None)
            while (rows := pending.result()) is not None:
                pending = pool.submit(next, source, None)
                yield rows
    finally:
        source.close()  # stopped early: close the open cursor now, not at collection


class _Unreadable(list[Violation]):
    """Stored JSON that Python cannot read back: the violation that says why."""


def _loads_fallback(text: str) -> Any:
    """json for what orjson refuses (1e400); orjson is well under half the cost of json.

    orjson reads an integer beyond 64 bits as a float; the schema judges 1e30 and 10**30
    alike (both whole numbers), so only such a number's rendering in a message can differ.
    What json refuses too (an integer over 4,300 digits, nesting past its recursion limit)
    is a violation of the document, never the scan's end.
    """
    try:
        return json.loads(text)
    except RecursionError:
        message = "the stored metadata is nested too deeply to be read back"
        return _Unreadable([Violation("MC110", message, "")])
    except ValueError as exc:
        message = f"the stored metadata cannot be read back: {str(exc).split(';')[0][:200]}"
        return _Unreadable([Violation("MC109", message, "")])
