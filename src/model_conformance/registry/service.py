"""`register_model` and its batch form: validate everything, then write in transactions.

A batch is checked in Python and against one lookup query, then written with one
`executemany` per table inside one transaction. A document that fails a check is rejected
on its own and never reaches the database. If PostgreSQL still refuses the batch (another
writer registered one of its ids meanwhile), the batch is replayed one registration per
transaction, so the failure again stays with the document that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from model_conformance.registry.checks import check_registration
from model_conformance.registry.document import Registration
from model_conformance.registry.references import reference_problems
from model_conformance.registry.store import (
    StoredArtifact,
    differences,
    fetch_artifacts,
    insert_registrations,
)
from model_conformance.validator import MetadataValidator, default_validator
from model_conformance.violations import ConformanceError, Violation, as_json

Conn = psycopg.Connection[TupleRow]

CREATED, UNCHANGED, REJECTED, VALID = "created", "unchanged", "rejected", "valid"

# Judges a batch of registrations that passed every other check; one list of violations
# each, in order (`register --verify-pins` passes `pins.registration.PinGate`).
BatchCheck = Callable[[Sequence[Registration]], list[list[Violation]]]
DEFAULT_BATCH_SIZE = 1000


@dataclass(frozen=True, slots=True)
class RegistrationResult:
    """What happened to one registration. `status` is created, unchanged, rejected, or
    valid (a dry run's verdict for a registration that would be created)."""

    artifact_id: str | None
    status: str
    violations: tuple[Violation, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.status != REJECTED

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.is_error]


class RegistrationRejected(ConformanceError):
    """Raised by `register_model`: carries every violation of the rejected registration."""

    code = "MC400"

    def __init__(self, result: RegistrationResult) -> None:
        self.result = result
        self.violations = list(result.violations)
        lines = "\n".join(f"  {v}" for v in result.errors)
        name = as_json(result.artifact_id) if result.artifact_id else "the registration"
        super().__init__(f"{name} was rejected with {len(result.errors)} error(s):\n{lines}")


def register_model(
    conn: Conn,
    registration: Registration | dict[str, Any],
    *,
    validator: MetadataValidator | None = None,
    dry_run: bool = False,
) -> RegistrationResult:
    """Register one model version: its artifact row and model_versions row, together or not at all.

    Returns the result (created, unchanged, or valid for a dry run); raises
    `RegistrationRejected` with every violation when the registration is refused.
    """
    [result] = register_many(conn, [registration], validator=validator, dry_run=dry_run)
    if not result.ok:
        raise RegistrationRejected(result)
    return result


def register_many(
    conn: Conn,
    registrations: Iterable[Registration | dict[str, Any]],
    *,
    validator: MetadataValidator | None = None,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    batch_check: BatchCheck | None = None,
) -> Iterator[RegistrationResult]:
    """Register a stream of registrations; yield one result per input, in input order.

    Results of a batch are yielded once its transaction has committed. Memory is bounded by
    `batch_size`. `batch_check` adds its violations to each registration it is given.
    """
    checker = validator or default_validator()
    iterator = iter(registrations)
    while batch := list(islice(iterator, batch_size)):
        yield from _register_batch(conn, batch, checker, dry_run, batch_check)


def _register_batch(
    conn: Conn,
    batch: list[Registration | dict[str, Any]],
    validator: MetadataValidator,
    dry_run: bool,
    batch_check: BatchCheck | None = None,
) -> list[RegistrationResult]:
    parsed = [_parse_and_check(item, validator) for item in batch]
    if batch_check is not None:
        parsed = _batch_checked(parsed, batch_check)
    return _write(conn, parsed, dry_run)


def _batch_checked(parsed: list[_Parsed], batch_check: BatchCheck) -> list[_Parsed]:
    """`batch_check` over the registrations with no error so far (each judged on its own)."""
    clean = [
        (i, registration)
        for i, (registration, _, violations) in enumerate(parsed)
        if registration is not None and not any(v.is_error for v in violations)
    ]
    found = batch_check([registration for _, registration in clean])
    checked = list(parsed)
    for (i, _), extra in zip(clean, found, strict=True):
        registration, claimed, violations = parsed[i]
        checked[i] = (registration, claimed, violations + extra)
    return checked


def _write(conn: Conn, parsed: list[_Parsed], dry_run: bool) -> list[RegistrationResult]:
    """Decide and write one batch in one transaction; a dry run does exactly the same and
    rolls back, so its verdict is the real run's.

    If PostgreSQL refuses the batch anyway (another writer registered one of its ids
    meanwhile, a deadlock, a value it will not take), each registration is replayed in a
    transaction of its own, so the refusal stays with the one that caused it. A connection
    that broke is not a registration's fault: that is raised.
    """
    for attempt in range(_ATTEMPTS):
        try:
            with conn.transaction(force_rollback=dry_run):
                results, to_write = _decide(conn, parsed)
                insert_registrations(conn, to_write)
        except psycopg.Error as exc:
            if conn.broken or conn.closed:
                raise
            if len(parsed) > 1:
                return [r for one in parsed for r in _write(conn, [one], dry_run)]
            if isinstance(exc, _TRANSIENT) and attempt + 1 < _ATTEMPTS:
                continue
            return [_refused(conn, parsed[0], exc)]
        break
    if dry_run:
        results = [
            RegistrationResult(r.artifact_id, VALID, r.violations) if r.status == CREATED else r
            for r in results
        ]
    return results


_ATTEMPTS = 3
# Two writers locking rows in different orders: the loser's statement is cancelled, and
# running it again succeeds.
_TRANSIENT = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)


def _refused(conn: Conn, one: _Parsed, exc: psycopg.Error) -> RegistrationResult:
    """One registration PostgreSQL refused: after losing a race for its id, deciding again
    says unchanged or conflict; otherwise the server's own words reject it."""
    if isinstance(exc, psycopg.IntegrityError):
        with conn.transaction(force_rollback=True):
            [result], _ = _decide(conn, [one])
        if result.status != CREATED:
            return result
    _, claimed, violations = one
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    refusal = Violation("MC609", f"PostgreSQL refused this registration: {first_line[:300]}", "")
    return RegistrationResult(claimed, REJECTED, (*violations, refusal))


_Parsed = tuple[Registration | None, str | None, list[Violation]]


def _parse_and_check(item: Registration | dict[str, Any], validator: MetadataValidator) -> _Parsed:
    if isinstance(item, Registration):
        registration: Registration | None = item
        violations: list[Violation] = []
    else:
        registration, violations = Registration.from_dict(item)
    if registration is None:
        return None, _claimed_id(item), violations
    return registration, registration.id, violations + check_registration(registration, validator)


def _claimed_id(doc: object) -> str | None:
    """The artifact id a rejected document names, if any, so reports can say which one."""
    if isinstance(doc, dict):
        artifact = doc.get("artifact")
        if isinstance(artifact, dict) and isinstance(artifact.get("id"), str):
            return str(artifact["id"])
    return None


def _decide(
    conn: Conn, parsed: list[_Parsed]
) -> tuple[list[RegistrationResult], list[Registration]]:
    """Each registration's fate, in order; and those to write."""
    wanted: set[str] = set()
    for registration, _, violations in parsed:
        if registration is not None and not any(v.is_error for v in violations):
            row = registration.version_row()
            wanted.update(
                x
                for x in (registration.id, row["base_model_id"], row["eval_dataset_artifact_id"])
                if x
            )
    stored = fetch_artifacts(conn, wanted)
    accepted: dict[str, Registration] = {}
    results: list[RegistrationResult] = []
    for registration, claimed, violations in parsed:
        if registration is None or any(v.is_error for v in violations):
            results.append(RegistrationResult(claimed, REJECTED, tuple(violations)))
            continue
        status, problems = _against_database(registration, stored, accepted)
        found = tuple(violations + problems)
        if problems:
            results.append(RegistrationResult(registration.id, REJECTED, found))
            continue
        results.append(RegistrationResult(registration.id, status, found))
        if status == CREATED:
            accepted[registration.id] = registration
    return results, list(accepted.values())


def _against_database(
    registration: Registration,
    stored: dict[str, StoredArtifact],
    accepted: dict[str, Registration],
) -> tuple[str, list[Violation]]:
    """created or unchanged, and any violations found by looking at what is stored.

    `accepted` holds the registrations created earlier in the same batch: they count as
    stored for later documents that repeat or build on them.
    """
    problems = reference_problems(registration, stored, accepted)
    earlier = accepted.get(registration.id)
    existing = (
        StoredArtifact("model", earlier.artifact_row(), earlier.version_row())
        if earlier is not None
        else stored.get(registration.id)
    )
    if existing is None:
        return CREATED, problems
    differ = differences(registration, existing)
    if differ:
        problems.append(
            Violation(
                "MC410",
                f"{as_json(registration.id)} is already registered with a different payload "
                f"(differs in: {', '.join(differ)}); register the new version under a new id",
                "/artifact/id",
            )
        )
    return UNCHANGED, problems
