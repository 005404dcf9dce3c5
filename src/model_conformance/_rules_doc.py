"""docs/rules.md from the rule catalogue: each `<!-- rules MCn -->` … `<!-- /rules -->`
region is filled with the sections of the catalogued rules whose codes start with `MCn`.

    python -m model_conformance._rules_doc docs/rules.md    # rewrite it in place
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from model_conformance.codes import RULES, Rule
from model_conformance.violations import Severity

_REGION = re.compile(r"<!-- rules (MC\d) -->\n.*?<!-- /rules -->", re.DOTALL)


def section(rule: Rule) -> str:
    """`### CODE name`, `(warning)` for a warning, then its documentation."""
    warning = " (warning)" if rule.severity is Severity.WARNING else ""
    return f"### {rule.code} {rule.name}{warning}\n\n{rule.doc.strip()}\n"


def render(template: str) -> str:
    """`template` with every rules region filled from the catalogue."""

    def fill(match: re.Match[str]) -> str:
        prefix = match[1]
        sections = [section(r) for code, r in RULES.items() if code.startswith(prefix)]
        return f"<!-- rules {prefix} -->\n" + "\n".join(sections) + "<!-- /rules -->"

    return _REGION.sub(fill, template)


if __name__ == "__main__":
    path = Path(sys.argv[1])
    path.write_text(render(path.read_text()))
