"""The catalogue of rule codes. Codes are stable: never renumber, only add.

Ranges: MC1xx schema, MC2xx semantic metadata rules, MC3xx files (lint),
MC4xx registration fields, MC5xx database scan, MC6xx migrations and configuration,
MC7xx the promotion lifecycle.
Every code here is documented in docs/rules.md (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass

from model_conformance.violations import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str


_E, _W = Severity.ERROR, Severity.WARNING

RULES: dict[str, Rule] = {
    r.code: r
    for r in [
        # --- schema (MC1xx): JSON Schema keywords, explained per variant ---
        Rule("MC101", "missing-required", _E, "A required key is missing."),
        Rule("MC102", "wrong-type", _E, "A value has the wrong JSON type."),
        Rule("MC103", "invalid-format", _E, "A string does not match its format (uri, date-time)."),
        Rule("MC104", "out-of-range", _E, "A number is outside its allowed range."),
        Rule(
            "MC105", "empty-value", _E, "A string, list or object that must not be empty is empty."
        ),
        Rule(
            "MC106", "not-allowed-for-variant", _E, "A key is not allowed for this kind of model."
        ),
        Rule("MC107", "invalid-value", _E, "A value is not one of the allowed values or pattern."),
        Rule("MC108", "not-unicode", _E, "A key or string holds a lone surrogate."),
        Rule("MC109", "number-out-of-range", _E, "A number is not finite or is too long."),
        Rule("MC110", "nested-too-deeply", _E, "The document is nested too deeply to judge."),
        Rule("MC199", "schema-violation", _E, "Any other JSON Schema violation."),
        # --- semantic metadata rules (MC2xx) ---
        Rule("MC201", "unpinned-external-version", _E, "An external source version is not pinned."),
        Rule(
            "MC202",
            "evaluation-leakage",
            _W,
            "The evaluation dataset is also in the training data.",
        ),
        Rule("MC203", "misspelled-key", _W, "An unknown key is one typo away from a known key."),
        Rule("MC204", "non-finite-metric", _E, "An evaluation metric is NaN or infinite."),
        Rule("MC205", "unparsable-url", _E, "external_source_url cannot be parsed as a URL."),
        # --- files (MC3xx), reported by `lint` ---
        Rule("MC301", "invalid-json", _E, "The file is not valid JSON."),
        Rule("MC302", "duplicate-key", _E, "An object has the same key twice."),
        Rule("MC303", "non-standard-number", _E, "NaN or Infinity is not JSON."),
        Rule("MC304", "byte-order-mark", _E, "The file starts with a byte-order mark."),
        Rule("MC305", "not-utf8", _E, "The file is not UTF-8."),
        Rule("MC306", "empty-file", _E, "The file is empty."),
        Rule("MC307", "not-an-object", _E, "The top-level value is not a JSON object."),
        Rule("MC308", "unreadable-file", _E, "The file cannot be read."),
        Rule("MC309", "not-a-regular-file", _W, "A FIFO, device or socket: skipped, not read."),
        Rule("MC310", "too-large", _E, "A file or stdin line is larger than 64 MiB."),
        Rule("MC399", "internal-error", _E, "A file could not be judged: a bug to report."),
        Rule("MC390", "lint-settings-invalid", _E, "The lint flags or settings cannot be used."),
        # --- registration fields (MC4xx) ---
        Rule("MC401", "invalid-registration", _E, "A registration field is missing or malformed."),
        Rule("MC402", "invalid-commit-sha", _E, "code_commit_sha is not a full 40-hex SHA."),
        Rule("MC403", "invalid-url", _E, "A URL field is not a well-formed http(s) URL."),
        Rule("MC404", "invalid-timestamp", _E, "A timestamp is not ISO 8601 with a time zone."),
        Rule("MC405", "training-ends-before-start", _E, "Training completed before it started."),
        Rule("MC406", "unknown-base-model", _E, "base_model_id is not an existing model artifact."),
        Rule("MC407", "self-based-model", _E, "A model names itself as its own base model."),
        Rule(
            "MC408",
            "unknown-eval-dataset",
            _E,
            "eval_dataset_artifact_id is not an existing dataset artifact.",
        ),
        Rule("MC409", "external-flag-mismatch", _E, "is_external disagrees with the metadata."),
        Rule(
            "MC410",
            "registration-conflict",
            _E,
            "A different payload is already registered under this id.",
        ),
        Rule("MC411", "unstorable-value", _E, "A value PostgreSQL cannot store (NUL, too long)."),
        # --- database scan (MC5xx) ---
        # Rules shared with registration keep their MC4xx code (MC402, MC405-MC409).
        Rule("MC501", "missing-model-version", _E, "A model artifact has no model_versions row."),
        Rule("MC502", "version-of-non-model", _E, "A model_versions row belongs to a non-model."),
        Rule("MC503", "missing-external-source", _E, "An external model lacks source or version."),
        Rule("MC504", "external-source-mismatch", _E, "The external source differs from metadata."),
        Rule("MC505", "base-model-cycle", _E, "The base-model chain loops back to the model."),
        Rule("MC506", "json-not-object", _E, "A *_json column holds JSON that is not an object."),
        Rule("MC507", "promoted-without-metrics", _E, "A promoted version has no eval metrics."),
        Rule("MC508", "superseded-without-successor", _E, "A superseded version has no successor."),
        Rule("MC520", "migration-pending", _E, "A migration file is not applied."),
        Rule("MC521", "migration-drift", _E, "An applied migration was edited or is gone."),
        Rule("MC530", "state-disagrees-with-history", _E, "A state is not its last event's."),
        Rule("MC531", "two-champions", _E, "A line has more than one promoted version."),
        Rule("MC532", "promoted-with-waived-gates", _W, "A champion passed a waived gate."),
        Rule("MC533", "promoted-failing-gates", _W, "A champion fails a promotion gate now."),
        # --- migrations and configuration (MC6xx) ---
        Rule("MC601", "database-unavailable", _E, "The database cannot be reached."),
        Rule(
            "MC602",
            "embedded-server-unavailable",
            _E,
            "The embedded PostgreSQL server cannot be used.",
        ),
        Rule("MC603", "migration-file-invalid", _E, "A migration file is misnamed or duplicated."),
        Rule("MC604", "migration-modified", _E, "An applied migration file was edited."),
        Rule("MC605", "migration-missing", _E, "An applied migration file is missing."),
        Rule("MC606", "migration-out-of-order", _E, "A new migration is numbered too low."),
        Rule("MC607", "migration-failed", _E, "A migration's SQL failed and was rolled back."),
        Rule("MC608", "database-not-migrated", _E, "The registry's tables are missing or behind."),
        Rule("MC609", "database-error", _E, "PostgreSQL refused a statement."),
        Rule("MC620", "schema-unusable", _E, "The metadata schema cannot be loaded or used."),
        # --- promotion lifecycle (MC7xx) ---
        Rule("MC701", "transition-refused", _E, "The state change is not an allowed transition."),
        Rule("MC702", "event-required", _E, "A state change has no event in its transaction."),
        Rule("MC703", "history-append-only", _E, "promotion_events cannot be updated or deleted."),
        Rule("MC704", "promotion-conflict", _E, "Another change of the line won the race."),
        Rule("MC705", "gate-failed", _E, "A promotion gate failed and was not waived."),
        Rule("MC706", "waiver-invalid", _E, "A waiver names no gate of this promotion."),
        Rule("MC707", "gates-config-invalid", _E, "The gate settings cannot be used."),
        Rule("MC708", "unknown-version", _E, "The id is not a registered model version."),
        Rule("MC709", "lifecycle-input-invalid", _E, "A reason, actor or time is missing or bad."),
        Rule("MC710", "line-fixed", _E, "A version's artifact_id and line_id cannot change."),
    ]
}
