"""The verdict and the violations come from one engine, so they cannot disagree.

A document passes exactly when no error-severity violation is reported, and a schema
violation is reported exactly when jsonschema-rs rejects the document. Hypothesis generates
documents around the schema's edges, formats included, and both facts are held for each.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from model_conformance import MetadataValidator
from model_conformance.schema import default_schema

VALIDATOR = MetadataValidator()
ENGINE = default_schema().compile()

text = st.text(min_size=0, max_size=12)
json_scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)

uris = st.one_of(
    st.sampled_from(
        [
            "https://huggingface.co/org/model",
            "http://example.org/a?b=c#d",
            "https://",
            "ftp://example.org/x",
            "huggingface.co/org/model",
            "https://exa mple.org/x",
            "https://example.org/%zz",
            "https://[::1]:8080/x",
            "mailto:someone@example.org",
            "",
        ]
    ),
    st.builds(lambda host, path: f"https://{host}/{path}", text, text),
    text,
)
date_times = st.one_of(
    st.sampled_from(
        [
            "2024-05-01T12:00:00Z",
            "2024-05-01T12:00:00.123+02:00",
            "2024-05-01t12:00:00z",
            "2024-05-01",
            "2024-13-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2024-05-01T25:00:00Z",
            "2024-05-01 12:00:00Z",
            "2024-05-01T12:00:60Z",
            "",
        ]
    ),
    text,
)
field_values: dict[str, st.SearchStrategy[Any]] = {
    "model_family": text | json_values,
    "framework": text | json_values,
    "parameter_count": st.integers(-5, 2**53) | st.floats(allow_nan=False) | json_values,
    "training_data": st.lists(text, max_size=3) | json_values,
    "evaluation_dataset": st.none() | text | json_values,
    "evaluation_metrics": st.dictionaries(
        text, st.floats(allow_nan=False, allow_infinity=False) | json_scalars, max_size=3
    )
    | json_values,
    "benchmark_id": text | json_values,
    "base_model_id": text | json_values,
    "training_config": st.dictionaries(text, json_values, max_size=2) | json_values,
    "is_external": st.booleans() | json_values,
    "external_source_url": uris | json_values,
    "external_source_version": text | json_values,
    "trained_at": date_times | json_values,
}


@st.composite
def documents(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 19)) == 0:
        return draw(json_values)  # now and then, not an object at all
    doc: dict[str, Any] = {
        "model_family": "transformer",
        "framework": "pytorch",
        "parameter_count": 10,
        "training_data": ["ds-a"],
        "evaluation_dataset": "ds-b",
        "evaluation_metrics": {"auroc": 0.9},
    }
    if draw(st.booleans()):
        doc |= {
            "is_external": True,
            "external_source_url": "https://huggingface.co/org/model",
            "external_source_version": "v1.0",
        }
    else:
        doc["training_config"] = {"lr": 0.1}
    for key in draw(st.lists(st.sampled_from(sorted(doc)), max_size=2, unique=True)):
        del doc[key]
    for key in draw(st.lists(st.sampled_from(sorted(field_values)), max_size=3, unique=True)):
        doc[key] = draw(field_values[key])
    doc.update(draw(st.dictionaries(text, json_values, max_size=2)))
    return doc


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_a_schema_violation_is_reported_exactly_when_the_engine_rejects(doc: Any) -> None:
    violations = VALIDATOR.validate(doc)
    schema_errors = [v for v in violations if v.code.startswith("MC1") and v.is_error]
    engine_says_valid = ENGINE.is_valid(doc)
    event("valid" if engine_says_valid else "invalid")
    assert engine_says_valid == (not schema_errors), schema_errors
    assert VALIDATOR.is_valid(doc) == (not any(v.is_error for v in violations))


@settings(max_examples=300, deadline=None)
@given(documents())
def test_every_invalid_document_gets_explained_errors(doc: Any) -> None:
    if not ENGINE.is_valid(doc):
        schema_errors = [v for v in VALIDATOR.validate(doc) if v.code.startswith("MC1")]
        assert schema_errors
        assert all("not valid under any" not in v.message for v in schema_errors)
        # the bundled schema never needs the last-resort sentence
        assert all(v.message != "the document does not match the schema" for v in schema_errors)
