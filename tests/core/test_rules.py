"""Semantic rules: each has a passing and a failing case, with its own code."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_conformance import Severity, validate_metadata
from model_conformance.rules import (
    _UNPARSABLE,
    _hostname,
    evaluation_leakage,
    misspelled_key,
    non_finite_metric,
    unpinned_external_version,
)

FULL_SHA = "0123456789abcdef0123456789abcdef01234567"
KNOWN = frozenset({"evaluation_metrics", "framework", "training_data"})


@pytest.mark.parametrize("version", ["main", "master", "latest", "HEAD", "Main", " develop "])
def test_mc201_a_moving_name_is_not_a_pin(external_doc: dict[str, Any], version: str) -> None:
    external_doc["external_source_version"] = version
    [violation] = validate_metadata(external_doc)
    assert (violation.code, violation.path) == ("MC201", "$.external_source_version")
    assert "moving name" in violation.message


@pytest.mark.parametrize(
    ("url", "version"),
    [
        ("https://huggingface.co/google-bert/bert-base-uncased", FULL_SHA),
        ("https://github.com/org/repo", FULL_SHA.upper()),
        ("https://huggingface.co/google-bert/bert-base-uncased", "v1.0.2"),
        ("https://github.com/org/repo", "2.3.0"),
        ("https://github.com/org/repo", "v0.4.1-rc1"),
        ("https://zenodo.org/records/1234", "3"),
        ("https://example.org/models/x", "2024-05-release"),
    ],
)
def test_mc201_commits_and_tags_are_pins(
    external_doc: dict[str, Any], url: str, version: str
) -> None:
    external_doc["external_source_url"] = url
    external_doc["external_source_version"] = version
    assert validate_metadata(external_doc) == []


@pytest.mark.parametrize(
    ("url", "version", "reason"),
    [
        ("https://github.com/org/repo", "abc1234", "abbreviated commit"),
        ("https://huggingface.co/org/model", "refs/pr/12", "branch name"),
        ("https://github.com/org/repo", "feature/new-head", "branch name"),
    ],
)
def test_mc201_git_hosts_need_a_full_commit_or_a_tag(
    external_doc: dict[str, Any], url: str, version: str, reason: str
) -> None:
    external_doc["external_source_url"] = url
    external_doc["external_source_version"] = version
    [violation] = validate_metadata(external_doc)
    assert violation.code == "MC201"
    assert reason in violation.message


def test_mc201_does_not_apply_to_internal_models(internal_doc: dict[str, Any]) -> None:
    assert unpinned_external_version(internal_doc, KNOWN) == []


def test_mc202_evaluating_on_training_data_is_a_warning(internal_doc: dict[str, Any]) -> None:
    internal_doc["training_data"] = ["dataset-a", "Dataset-Holdout"]
    internal_doc["evaluation_dataset"] = "dataset-holdout"
    [violation] = validate_metadata(internal_doc)
    assert (violation.code, violation.severity) == ("MC202", Severity.WARNING)
    assert "training_data[1]" in violation.message


def test_mc202_a_held_out_dataset_passes(internal_doc: dict[str, Any]) -> None:
    assert evaluation_leakage(internal_doc, KNOWN) == []


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("evaluation_metric", "evaluation_metrics"),
        ("framwork", "framework"),
        ("trainig_data", "training_data"),
    ],
)
def test_mc203_a_near_miss_key_gets_a_suggestion(typo: str, meant: str) -> None:
    [violation] = misspelled_key({typo: 1}, KNOWN)
    assert violation.code == "MC203"
    assert violation.severity is Severity.WARNING
    assert violation.message == f"unknown key `{typo}`: did you mean `{meant}`?"
    assert violation.pointer == f"/{typo}"


def test_mc203_unrelated_keys_and_present_keys_are_left_alone() -> None:
    assert misspelled_key({"owner_team": 1, "framework": "x"}, KNOWN) == []
    # the suggestion would name a key the document already has: not a typo of it
    assert misspelled_key({"framework": "x", "frameworks": ["y"]}, KNOWN) == []


def test_mc203_never_suggests_an_empty_key() -> None:
    # A schema may declare "" as a property; it is within two edits of every short key.
    assert misspelled_key({"a": 1, "ab": 2}, frozenset({"", "framework"})) == []


def test_mc203_a_key_that_is_not_a_string_is_no_typo_and_no_crash() -> None:
    # JSON has only string keys, but a Python caller's dict may have any.
    odd: dict[Any, Any] = {1: "x", None: 2, (1, 2): 3}
    assert misspelled_key(odd, KNOWN) == []
    mixed: dict[Any, Any] = {1: "x", "framwork": "y"}
    [violation] = misspelled_key(mixed, KNOWN)
    assert violation.pointer == "/framwork"


def test_a_document_with_non_string_keys_gets_a_verdict_not_an_exception() -> None:
    for doc in ({1: "x"}, {None: 1, "framewrk": "x"}):
        found = validate_metadata(doc)
        assert any(v.is_error for v in found)


def test_mc203_reports_every_near_miss_sorted_by_key() -> None:
    found = misspelled_key({"trainig_data": [], "owner_team": 1, "framwork": "x"}, KNOWN)
    assert [v.pointer for v in found] == ["/framwork", "/trainig_data"]


def test_mc203_reports_alongside_the_missing_key(internal_doc: dict[str, Any]) -> None:
    internal_doc["evaluation_metric"] = internal_doc.pop("evaluation_metrics")
    codes = [v.code for v in validate_metadata(internal_doc)]
    assert codes == ["MC101", "MC203"]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_mc204_non_finite_metrics_are_errors(internal_doc: dict[str, Any], value: float) -> None:
    internal_doc["evaluation_metrics"]["auroc"] = value
    violations = [v for v in validate_metadata(internal_doc) if v.code == "MC204"]
    assert [(v.path, v.severity) for v in violations] == [
        ("$.evaluation_metrics.auroc", Severity.ERROR)
    ]


def test_mc204_finite_metrics_pass(internal_doc: dict[str, Any]) -> None:
    assert non_finite_metric(internal_doc, KNOWN) == []


@pytest.mark.parametrize(
    "metrics",
    [
        {"a": 1e308, "b": 1e308},  # finite values whose sum overflows
        {"a": 10**400, "b": 0.5},  # an integer too large for a float
        {"a": "high", "b": 0.5, "c": None, "d": [1], "e": True},  # no numbers at all
    ],
)
def test_mc204_finite_values_of_any_kind_pass(metrics: dict[str, Any]) -> None:
    assert non_finite_metric({"evaluation_metrics": metrics}, KNOWN) == []


class _Unaddable(float):
    """A caller's own number type that cannot be added up (numpy's floats warn instead)."""

    def __add__(self, other: object) -> float:
        raise ZeroDivisionError

    __radd__ = __add__


def test_mc204_never_adds_metrics_up() -> None:
    metrics = {"a": math.nan, "b": _Unaddable(1.0), "c": _Unaddable(math.inf)}
    found = non_finite_metric({"evaluation_metrics": metrics}, KNOWN)
    assert [v.pointer for v in found] == ["/evaluation_metrics/a", "/evaluation_metrics/c"]


def test_mc204_finds_every_non_finite_value_among_values_of_any_kind() -> None:
    metrics = {"a": "high", "b": math.nan, "c": 10**400, "d": 1e308, "e": -math.inf}
    found = non_finite_metric({"evaluation_metrics": metrics}, KNOWN)
    assert [(v.pointer, v.message.split(":")[0]) for v in found] == [
        ("/evaluation_metrics/b", "metric `b` is NaN"),
        ("/evaluation_metrics/e", "metric `e` is -Infinity"),
    ]


_NOISE = st.sampled_from(["", ":", "/", "?", "#", "@", "[", "]", "\t", " ", "\\", "://"])
# URL-shaped text: scheme, "://", user info, host, port, rest, with noise between the parts.
_URLS = st.tuples(
    st.sampled_from(["https", "http", "HTTPS", " https", "h tp", "hf", ""]),
    _NOISE,
    st.sampled_from(["://", ":/", "//", ""]),
    st.sampled_from(["", "user@", "user:pw@", "a@b@", ":@"]),
    st.sampled_from(["github.com", "GitHub.COM", "huggingface.co", "hf.co", "[::1]", "x", ""]),
    _NOISE,
    st.sampled_from(["", ":8080", ":", ":x"]),
    st.sampled_from(["", "/org/model", "?q=1", "#top", "/a:b@c", "/x://github.com"]),
    _NOISE,
).map("".join)


@settings(max_examples=500)
@given(url=_URLS)
def test_the_host_is_read_as_urlparse_reads_it(url: str) -> None:
    # MC201 caches hosts by the URL's authority only; the answer must not change, and a URL
    # urlparse refuses (an unbalanced "[") must be refused, not raised.
    def outcome(read: Callable[[str], str | None]) -> str | None:
        try:
            return read(url)
        except ValueError:
            return _UNPARSABLE

    def reference(u: str) -> str | None:
        host = urlparse(u).hostname
        return host.rstrip(".") if host else host  # a trailing dot names the same host

    assert outcome(_hostname) == outcome(reference)


@pytest.mark.parametrize("url", ["https://[oops/x", "https://]x", "http://[::1/x"])
def test_an_unparsable_url_is_a_violation_not_a_crash(url: str) -> None:
    doc = {"is_external": True, "external_source_url": url, "external_source_version": "main2"}
    assert [v.code for v in unpinned_external_version(doc, frozenset())] == ["MC205"]


def test_a_trailing_dot_on_the_host_does_not_dodge_the_pin_check() -> None:
    doc = {
        "is_external": True,
        "external_source_url": "https://github.com./o/n",
        "external_source_version": "mybranch",
    }
    assert [v.code for v in unpinned_external_version(doc, frozenset())] == ["MC201"]


def test_a_long_dotted_version_is_judged_in_linear_time() -> None:
    import time

    doc = {
        "is_external": True,
        "external_source_url": "https://github.com/o/n",
        "external_source_version": "1" + ".1" * 50_000 + "!",
    }
    start = time.perf_counter()
    assert [v.code for v in unpinned_external_version(doc, frozenset())] == ["MC201"]
    assert time.perf_counter() - start < 1.0  # was 18 s at 64 KB (quadratic backtracking)
