"""Hypothesis strategies for hostile JSON values, shared by the totality test and the fuzzer.

Text that is no URL or an unparsable one, lone surrogates, NUL, bidi overrides, trailing
newlines, a quadratic-regex bait; integers of thousands of digits; NaN and infinities; lists
and objects keyed by the schema's own keys or by the same hostile text.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from model_conformance.schema import default_schema

KEYS = sorted(default_schema().known_keys)

hostile_text = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=3),
    st.sampled_from(
        [
            "https://[oops/x",
            "https://]x",
            "http://[::1/x",
            "A://[",
            "https://example.org/m\n",
            "2024-01-01T00:00:00Z\n",
            "\x00",
            "\u202eevil",
            "\n",
            "main",
            "NaN",
            "1" + ".1" * 500 + "!",
            "",
            " ",
        ]
    ),
)
big_integers = st.integers(min_value=4, max_value=12).map(lambda n: (-1) ** n * 10 ** (n * 700))
scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    big_integers,
    st.floats(),  # NaN and infinities included
    hostile_text,
)
keys = st.sampled_from(KEYS) | hostile_text


def json_values(max_leaves: int = 12, max_keys: int = 5) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=max_keys),
        max_leaves=max_leaves,
    )


documents = st.dictionaries(keys, json_values(), max_size=10)
