"""Semantic rules beyond JSON Schema. Each is one small function with its own code.

A rule takes the document (already a dict) and the schema's known top-level keys, and
returns its violations (a list: rules run on every document, and generators cost more).
Rules never raise on odd shapes: the schema reports those.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from model_conformance.codes import violation
from model_conformance.version_rules import is_full_commit_sha
from model_conformance.violations import Violation, as_json, make_pointer, quote_key

RuleFunction = Callable[[dict[str, Any], frozenset[str]], list[Violation]]

# Names that move: a version spelled like this is not a pin.
FLOATING_REVISIONS = frozenset(
    {"main", "master", "latest", "head", "develop", "dev", "trunk", "nightly", "stable", "default"}
)
# Hosts whose revisions are git refs: only a full commit or a tag pins them.
GIT_HOSTS = frozenset({"github.com", "www.github.com", "huggingface.co", "hf.co"})
_SHORT_SHA = re.compile(r"[0-9a-fA-F]{7,39}")
# Possessive quantifiers: "1.1.1...!" must not backtrack between the dotted numbers and the
# suffix, which both take dots (quadratic: 18 s on 64 KB).
_TAG = re.compile(r"v?\d++(?:\.\d++)*+(?:[-+._][0-9A-Za-z][0-9A-Za-z.+-]*+)?")
_MAX_TAG = 200  # a release tag is short; a longer value is judged a branch-like ref


def unpinned_external_version(doc: dict[str, Any], known: frozenset[str]) -> list[Violation]:
    """MC201: an external model must name a revision that cannot move."""
    if doc.get("is_external") is not True:
        return []
    version = doc.get("external_source_version")
    if not isinstance(version, str) or not version.strip():
        return []
    pointer = "/external_source_version"
    revision = version.strip()
    if revision.lower() in FLOATING_REVISIONS:
        message = (
            f"external source version {as_json(version)} is a moving name, not a pin: use a "
            "release tag or a full 40-character commit SHA"
        )
        return [Violation("MC201", message, pointer)]
    url = doc.get("external_source_url")
    host = _hostname(url) if isinstance(url, str) else None
    if host is _UNPARSABLE:
        message = (
            f"external source URL {as_json(url)} cannot be parsed as a URL, so its revision "
            "cannot be judged: write it as https://host/owner/name"
        )
        return [Violation("MC205", message, "/external_source_url")]
    if host not in GIT_HOSTS or is_full_commit_sha(revision):
        return []
    if len(revision) <= _MAX_TAG and _TAG.fullmatch(revision):
        return []
    if _SHORT_SHA.fullmatch(revision):
        reason = "an abbreviated commit; write the full 40-character SHA"
    else:
        reason = "a branch name or other ref; use a release tag or the full 40-character SHA"
    message = f"external source version {as_json(version)} on {host} is {reason}"
    return [Violation("MC201", message, pointer)]


def evaluation_leakage(doc: dict[str, Any], known: frozenset[str]) -> list[Violation]:
    """MC202: evaluating on a dataset the model was trained on inflates its metrics."""
    evaluation = doc.get("evaluation_dataset")
    training = doc.get("training_data")
    if not isinstance(evaluation, str) or not isinstance(training, list):
        return []
    wanted = evaluation.strip().casefold()
    for index, dataset in enumerate(training):
        if isinstance(dataset, str) and dataset.strip().casefold() == wanted:
            message = (
                f"evaluation dataset {as_json(evaluation)} is also in the training data "
                f"(training_data[{index}]): metrics computed on it are not a held-out evaluation"
            )
            return [violation("MC202", message, "/evaluation_dataset")]
    return []


def misspelled_key(doc: dict[str, Any], known: frozenset[str]) -> list[Violation]:
    """MC203: an unknown key one or two edits away from a known key is probably a typo."""
    if known.issuperset(doc):  # the common case: no unknown key at all
        return []
    found = []
    for key in doc:  # a loop, not `doc.keys() - known`: no second set of every key
        if key in known or not isinstance(key, str):  # a Python caller's 1 or None: no typo
            continue
        for suggestion in _near_keys(key, known):
            if suggestion not in doc:
                message = f"unknown key `{quote_key(key)}`: did you mean `{suggestion}`?"
                found.append(violation("MC203", message, make_pointer([key])))
                break
    if len(found) > 1:
        found.sort(key=lambda v: v.pointer)
    return found


# "scheme://authority": what `urlparse` reads the host from, so the cache below is keyed by
# the few authorities of a registry, not by every model's own URL.
_AUTHORITY = re.compile(r"[^:/?#]+://[^/?#]*")


def _hostname(url: str) -> str | None:
    match = _AUTHORITY.match(url)
    return _authority_host(match.group() if match else url)


_UNPARSABLE = "\x00unparsable"  # no host name can contain NUL


@lru_cache(maxsize=1024)
def _authority_host(url: str) -> str | None:
    try:
        host = urlparse(url).hostname
    except ValueError:  # e.g. "https://[oops/x": an unclosed IPv6 bracket
        return _UNPARSABLE
    # "github.com." is github.com: a fully qualified name must not dodge the pin check.
    return host.rstrip(".") if host else host


@lru_cache(maxsize=4096)
def _near_keys(key: str, known: frozenset[str]) -> tuple[str, ...]:
    """Known keys within edit distance 2, nearest first. Cached: the same extra keys recur
    in every document of a registry, and edit distance in Python is the slow part."""
    near = sorted(
        (distance, name)
        for name in known
        # An empty name is within two edits of every short key, and no help as a suggestion.
        if name and (distance := _edit_distance(key, name, limit=2)) <= 2
    )
    return tuple(name for _, name in near)


def non_finite_metric(doc: dict[str, Any], known: frozenset[str]) -> list[Violation]:
    """MC204: NaN or infinity is a failed computation, not a score."""
    metrics = doc.get("evaluation_metrics")
    if not isinstance(metrics, dict):
        return []
    # A plain loop, not a sum: numpy's floats warn when they add up to infinity (an error
    # under `-W error`), and a caller's own number types may add up to anything.
    isfinite = math.isfinite
    for value in metrics.values():
        if isinstance(value, float) and not isfinite(value):
            break
    else:
        return []
    return [
        Violation(
            "MC204",
            f"metric `{quote_key(name)}` is {_float_name(value)}: record a finite number, or "
            "leave the "
            "metric out until it can be computed",
            make_pointer(["evaluation_metrics", name]),
        )
        for name, value in metrics.items()
        if isinstance(value, float) and not math.isfinite(value)
    ]


SEMANTIC_RULES: tuple[RuleFunction, ...] = (
    unpinned_external_version,
    evaluation_leakage,
    misspelled_key,
    non_finite_metric,
)


def _float_name(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
