"""Reading one file as a metadata document: the object, or the file rules that say why not.

`read_json_document` is what `register` reads files with, so its findings must be exactly
the ones `lint` prints for the same file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from model_conformance.json_reader import parse_json_document, parse_size, read_json_document
from model_conformance.lint import lint_file
from model_conformance.violations import FileSpan, Violation

DOC = {"model_family": "transformer", "framework": "pytorch"}


class NoRules:
    """A validator that finds nothing: leaves only the file rules to report."""

    def validate(self, doc: object) -> list[Violation]:
        return []


def span(finding: Violation) -> FileSpan:
    assert isinstance(finding.where, FileSpan)
    return finding.where


def placed(findings: list[Violation]) -> list[tuple[str, int, int, str]]:
    return [(f.code, span(f).line, span(f).column, f.message) for f in findings]


def test_a_good_file_gives_its_object_and_no_findings(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(DOC, indent=2))
    assert read_json_document(path) == (DOC, [])


BROKEN: dict[str, bytes] = {
    "trailing comma": b'{\n  "framework": "pytorch",\n}\n',
    "empty": b"  \n",
    "latin-1": '{"framework": "pyt\xf6rch"}'.encode("latin-1"),
    "utf-16": json.dumps(DOC).encode("utf-16"),
    "a list": b"[1, 2]",
    "null": b"null",
}


@pytest.mark.parametrize("content", BROKEN.values(), ids=BROKEN.keys())
def test_a_file_without_a_metadata_object_gives_none_and_what_lint_says(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(content)
    doc, findings = read_json_document(path)
    assert doc is None
    assert findings
    assert findings == lint_file(path, NoRules())


def test_invalid_json_is_mc301_with_line_column_and_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(BROKEN["trailing comma"])
    assert placed(read_json_document(path)[1]) == [
        ("MC301", 2, 25, "not valid JSON: trailing comma before '}'")
    ]


def test_a_missing_file_is_mc308_named_as_given(tmp_path: Path) -> None:
    doc, [finding] = read_json_document(tmp_path / "nope.json")
    assert doc is None
    assert span(finding).path == str(tmp_path / "nope.json")
    assert placed([finding]) == [("MC308", 1, 1, "cannot read the file: no such file")]


def test_a_directory_is_mc308(tmp_path: Path) -> None:
    assert placed(read_json_document(tmp_path)[1]) == [
        ("MC308", 1, 1, "cannot read the file: it is a directory")
    ]


def test_usable_files_keep_their_object_and_report_what_is_still_wrong(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    text = '{\n  "framework": "jax",\n  "framework": "pytorch",\n  "score": NaN\n}'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    doc, findings = read_json_document(path)
    assert doc is not None
    assert doc["framework"] == "pytorch"  # the last value wins, as with json.loads
    assert [(f.code, span(f).line, span(f).column) for f in findings] == [
        ("MC304", 1, 1),
        ("MC302", 3, 3),
        ("MC303", 4, 12),
    ]
    assert findings == lint_file(path, NoRules())


def test_text_in_hand_is_read_the_same_way() -> None:
    assert parse_json_document(json.dumps(DOC), "<stdin>:1") == (DOC, [])
    doc, [finding] = parse_json_document('{"framework": pytorch}', "<stdin>:3")
    assert doc is None
    assert (span(finding).path, finding.code, span(finding).line, span(finding).column) == (
        "<stdin>:3",
        "MC301",
        1,
        15,
    )
    assert finding.message == "not valid JSON: expected a JSON value, found 'pytorch'"


def test_a_byte_order_mark_in_text_is_reported_and_skipped() -> None:
    doc, findings = parse_json_document("\ufeff" + json.dumps(DOC), "<stdin>:1")
    assert doc == DOC
    assert [f.code for f in findings] == ["MC304"]


def test_reading_a_file_adds_no_heavy_import_to_the_package_root(tmp_path: Path) -> None:
    # `import model_conformance` itself loads the core; reading must add nothing heavy to it.
    path = tmp_path / "m.json"
    path.write_text("{")
    code = (
        "import sys\n"
        "import model_conformance\n"
        "before = set(sys.modules)\n"
        "from model_conformance.json_reader.document import read_json_document\n"
        f"assert read_json_document({str(path)!r})[1][0].code == 'MC301'\n"
        "heavy = ('click', 'jsonschema', 'referencing', 'psycopg', 'model_conformance.db')\n"
        "print(sorted(m for m in set(sys.modules) - before if m.startswith(heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


@pytest.mark.parametrize(
    ("text", "size"),
    [("1048576", 1 << 20), ("64MiB", 64 << 20), ("200 MB", 200_000_000), ("1gib", 1 << 30)],
)
def test_sizes_are_read_with_or_without_a_unit(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_a_file_over_a_smaller_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(DOC))
    doc, [finding] = read_json_document(path, limit=10)
    assert doc is None
    assert finding.code == "MC310"
    assert "larger than 10 bytes" in finding.message


def test_a_text_python_holds_four_bytes_a_character_has_less_room_to_be_parsed() -> None:
    from model_conformance.json_reader.document import _too_costly

    # 32 MiB of floats would take about 2.6 times that parsed: within 4 times the size with
    # the text (1 byte a character), not once one emoji makes Python store every character
    # in 4 bytes: the text alone is then 4 times the size.
    floats = json.dumps([0.123456789012345] * (32 * 2**20 // 19))
    assert _too_costly("a.json", floats) == []
    wide = floats[:-1] + ', "\U0001f600"]'
    [refused] = _too_costly("a.json", wide)
    assert refused.code == "MC311"
