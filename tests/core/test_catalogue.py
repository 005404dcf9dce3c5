"""Every rule code is catalogued once and documented in docs/rules.md with an example."""

from __future__ import annotations

import re
from pathlib import Path

from model_conformance import RULES

RULES_DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_codes_follow_the_mc_numbering() -> None:
    for code, rule in RULES.items():
        assert re.fullmatch(r"MC[1-7]\d\d", code)
        assert rule.code == code


def test_every_catalogued_code_has_a_documented_section() -> None:
    text = RULES_DOC.read_text()
    headings = set(re.findall(r"^#{2,4} `?(MC\d{3})\b", text, flags=re.MULTILINE))
    missing = sorted(set(RULES) - headings)
    assert missing == [], f"codes without a section in docs/rules.md: {missing}"


def test_the_docs_name_no_code_that_does_not_exist() -> None:
    text = RULES_DOC.read_text()
    headings = set(re.findall(r"^#{2,4} `?(MC\d{3})\b", text, flags=re.MULTILINE))
    assert sorted(headings - set(RULES)) == []
