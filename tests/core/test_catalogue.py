"""Every rule code is catalogued once, numbered in its range."""

from __future__ import annotations

import re

from model_conformance import RULES


def test_codes_follow_the_mc_numbering() -> None:
    for code, rule in RULES.items():
        assert re.fullmatch(r"MC[1-8]\d\d", code)
        assert rule.code == code


# docs/rules.md against the catalogue, and its examples against the tool: test_rules_doc.py
