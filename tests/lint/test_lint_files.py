"""Linting one file: each kind of bad file gets its own code, message, line and column."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support.unprivileged import in_unprivileged_child, shared_folder

from model_conformance.json_reader import MAX_BYTES, document
from model_conformance.lint import lint_paths
from model_conformance.lint.files import lint_file
from model_conformance.validator import MetadataValidator
from model_conformance.violations import FileSpan, Severity, Violation

VALID = {
    "model_family": "transformer",
    "framework": "pytorch",
    "parameter_count": 110000000,
    "training_data": ["dataset:a"],
    "evaluation_dataset": "dataset:b",
    "evaluation_metrics": {"auroc": 0.91},
    "training_config": {"entrypoint": "train.py"},
}

Write = Callable[..., Path]


@pytest.fixture(scope="module")
def validator() -> MetadataValidator:
    return MetadataValidator()


@pytest.fixture
def write(tmp_path: Path) -> Write:
    def write(content: str | bytes, name: str = "metadata.json") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    return write


def span(finding: Violation) -> FileSpan:
    assert isinstance(finding.where, FileSpan)
    return finding.where


def where(findings: list[Violation]) -> list[tuple[str, int, int]]:
    return [(f.code, span(f).line, span(f).column) for f in findings]


def valid_text(**changes: object) -> str:
    return json.dumps(VALID | changes, indent=2, ensure_ascii=False)


def test_a_valid_file_has_no_findings(write: Write, validator: MetadataValidator) -> None:
    assert lint_file(write(valid_text()), validator) == []


def test_a_valid_file_is_never_parsed_for_positions(
    write: Write, validator: MetadataValidator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_parse(*args: object) -> None:
        raise AssertionError("valid files must not pay for position tracking")

    for name in ("parse", "locate_pointers"):
        monkeypatch.setattr(document, name, no_parse)
    assert lint_file(write(valid_text()), validator) == []


def test_a_big_file_is_read_whole(write: Write, validator: MetadataValidator) -> None:
    notes = {f"note_{i:05d}": "x" * 100 for i in range(2000)}  # ~250 KB: several reads
    doc = {k: v for k, v in VALID.items() if k != "parameter_count"}
    doc |= {"training_config": {"entrypoint": "train.py", **notes}, "parameter_count": "1.2M"}
    text = json.dumps(doc, indent=2)
    assert len(text) > 200_000
    assert where(lint_file(write(text), validator)) == [("MC102", text.count("\n"), 22)]


def test_findings_name_the_file_as_it_was_given(write: Write, validator: MetadataValidator) -> None:
    path = write("[]")
    os.chdir(path.parent)
    [finding] = lint_file("metadata.json", validator)
    assert span(finding).path == "metadata.json"


# --- schema and rule violations, placed at the offending value -----------------------------


def test_a_wrong_type_points_at_the_value(write: Write, validator: MetadataValidator) -> None:
    findings = lint_file(write(valid_text(parameter_count="1.2M")), validator)
    assert where(findings) == [("MC102", 4, 22)]
    assert "whole number" in findings[0].message


def test_a_nested_value_points_at_itself(write: Write, validator: MetadataValidator) -> None:
    text = valid_text(evaluation_metrics={"auroc": 0.91, "f1": "high"})
    assert where(lint_file(write(text), validator)) == [("MC102", 11, 11)]


def test_a_list_item_points_at_the_item(write: Write, validator: MetadataValidator) -> None:
    text = valid_text(training_data=["dataset:a", ""])
    assert where(lint_file(write(text), validator)) == [("MC105", 7, 5)]


def test_a_missing_key_points_at_the_object_that_lacks_it(
    write: Write, validator: MetadataValidator
) -> None:
    doc = {k: v for k, v in VALID.items() if k != "framework"}
    findings = lint_file(write(json.dumps(doc, indent=2)), validator)
    assert where(findings) == [("MC101", 1, 1)]
    assert "`framework`" in findings[0].message


def test_a_key_that_is_not_allowed_points_at_the_key(
    write: Write, validator: MetadataValidator
) -> None:
    text = valid_text(external_source_url="https://huggingface.co/x")
    findings = lint_file(write(text), validator)
    assert ("MC106", 15, 3) in where(findings)


def test_a_warning_keeps_its_severity_and_points_at_the_key(
    write: Write, validator: MetadataValidator
) -> None:
    text = valid_text(traned_at="2024-05-01T12:00:00Z")
    findings = [f for f in lint_file(write(text), validator) if f.code == "MC203"]
    assert where(findings) == [("MC203", 15, 3)]
    assert findings[0].severity is Severity.WARNING


def test_findings_come_in_file_order(write: Write, validator: MetadataValidator) -> None:
    text = valid_text(framework="", parameter_count=-1, training_data=[])
    lines = [span(f).line for f in lint_file(write(text), validator)]
    assert lines == sorted(lines)
    assert len(lines) == 3


# --- bad files --------------------------------------------------------------------------


def test_invalid_json_reports_where_the_parser_stopped(
    write: Write, validator: MetadataValidator
) -> None:
    text = '{\n  "model_family": "transformer",\n  "framework": "pytorch",\n}\n'
    findings = lint_file(write(text), validator)
    assert where(findings) == [("MC301", 3, 25)]
    assert findings[0].message == "not valid JSON: trailing comma before '}'"


def test_a_duplicate_key_points_at_the_second_occurrence(
    write: Write, validator: MetadataValidator
) -> None:
    text = valid_text()[:-2] + ',\n  "framework": "jax"\n}'
    findings = lint_file(write(text), validator)
    assert where(findings) == [("MC302", 15, 3)]
    assert findings[0].message.startswith('duplicate key "framework" (first at line 3, column 3)')


def test_nan_points_at_the_token_and_is_reported_once(
    write: Write, validator: MetadataValidator
) -> None:
    text = valid_text().replace('"auroc": 0.91', '"auroc": NaN')
    findings = lint_file(write(text), validator)
    assert where(findings) == [("MC303", 10, 14)]
    assert findings[0].message.startswith("NaN is not a JSON number")


def test_infinity_is_reported_too_and_only_once_where_it_is_written(
    write: Write, validator: MetadataValidator
) -> None:
    text = valid_text().replace("110000000", "Infinity")
    # Not a second time by the engine-input check (MC109), which says the same of the value.
    assert where(lint_file(write(text), validator)) == [("MC303", 4, 22)]


def test_a_byte_order_mark_is_reported_and_the_rest_still_checked(
    write: Write, validator: MetadataValidator
) -> None:
    path = write(b"\xef\xbb\xbf" + valid_text(parameter_count="1.2M").encode())
    assert where(lint_file(path, validator)) == [("MC304", 1, 1), ("MC102", 4, 22)]


def test_utf16_is_not_utf8(write: Write, validator: MetadataValidator) -> None:
    path = write(valid_text().encode("utf-16"))
    findings = lint_file(path, validator)
    assert where(findings) == [("MC305", 1, 1)]
    assert "UTF-16" in findings[0].message


def test_a_latin1_byte_points_at_its_character(write: Write, validator: MetadataValidator) -> None:
    path = write(valid_text(framework="pytörch").encode("latin-1"))
    findings = lint_file(path, validator)
    assert where(findings) == [("MC305", 3, 20)]
    assert "0xf6" in findings[0].message


@pytest.mark.parametrize("content", [b"", b"  \n\n"])
def test_an_empty_file(write: Write, validator: MetadataValidator, content: bytes) -> None:
    assert where(lint_file(write(content), validator)) == [("MC306", 1, 1)]


@pytest.mark.parametrize(
    ("text", "kind"), [("\n  [1, 2]", "a list"), ('"x"', "a string"), ("null", "null")]
)
def test_a_top_level_value_that_is_not_an_object(
    write: Write, validator: MetadataValidator, text: str, kind: str
) -> None:
    findings = lint_file(write(text), validator)
    assert [f.code for f in findings] == ["MC307"]
    assert f"is {kind};" in findings[0].message


def test_not_an_object_points_at_the_value(write: Write, validator: MetadataValidator) -> None:
    assert where(lint_file(write("\n  [1, 2]"), validator)) == [("MC307", 2, 3)]


def test_a_missing_file(tmp_path: Path, validator: MetadataValidator) -> None:
    findings = lint_file(tmp_path / "nope.json", validator)
    assert where(findings) == [("MC308", 1, 1)]
    assert findings[0].message == "cannot read the file: no such file"


def test_a_directory(tmp_path: Path, validator: MetadataValidator) -> None:
    findings = lint_file(tmp_path, validator)
    assert findings[0].message == "cannot read the file: it is a directory"


def test_a_file_without_read_permission(validator: MetadataValidator) -> None:
    with shared_folder() as folder:
        path = folder / "metadata.json"
        path.write_text(valid_text())
        path.chmod(0)
        message = in_unprivileged_child(lambda: lint_file(path, validator)[0].message)
    assert message == "cannot read the file: permission denied"


@pytest.mark.parametrize("mode", [0o000, 0o311])  # nothing at all; no listing, only entry
def test_a_folder_that_cannot_be_listed_is_reported_in_its_place(
    validator: MetadataValidator, mode: int
) -> None:
    with shared_folder() as folder:
        for name in ["a/ok.json", "b/locked/hidden.json", "c/ok.json"]:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(valid_text())
        (folder / "b" / "locked").chmod(mode)

        def judged() -> str:
            findings, checked = lint_paths([folder, folder / "b" / "locked"], validator, jobs=1)
            placed = [f"{f.location.removeprefix(str(folder))} {f.message}" for f in findings]
            return json.dumps([checked, placed])

        checked, placed = json.loads(in_unprivileged_child(judged))
    # Named directly or met in the walk, it is one finding, and the files beside it are judged.
    assert checked == 3
    assert placed == ["/b/locked:1:1 cannot read the file: permission denied"]


def test_keep_drops_unwanted_codes(write: Write, validator: MetadataValidator) -> None:
    path = write(b"\xef\xbb\xbf" + valid_text(parameter_count="1.2M").encode())
    assert where(lint_file(path, validator, keep=lambda c: c != "MC304")) == [("MC102", 4, 22)]


class _FailsOnOneDocument:
    """A validator with a bug that only one document triggers."""

    def validate(self, doc: object) -> list[Violation]:
        if isinstance(doc, dict) and doc.get("trigger"):
            raise ValueError("boom\nsecond line")
        return [Violation("MC101", "missing `x`", "")]


def test_a_file_that_makes_the_toolkit_fail_is_reported_and_the_others_still_judged(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.json").write_text('{"trigger": true}')
    (tmp_path / "b.json").write_text("{}")
    findings, checked = lint_paths([tmp_path], _FailsOnOneDocument())
    assert checked == 2
    assert [(Path(span(f).path).name, f.code, span(f).line, span(f).column) for f in findings] == [
        ("a.json", "MC399", 1, 1),
        ("b.json", "MC101", 1, 1),
    ]
    assert "ValueError: boom" in findings[0].message
    assert "second line" not in findings[0].message


def test_an_integer_longer_than_python_reads_is_mc109_at_its_place(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text('{\n  "parameter_count": ' + "9" * 5000 + "\n}\n")
    [finding] = [f for f in lint_file(path, MetadataValidator()) if f.code != "MC307"]
    assert (finding.code, span(finding).line, span(finding).column) == ("MC109", 2, 22)


def test_a_fraction_of_more_digits_than_a_double_keeps_is_reported_where_it_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pi.json"
    path.write_text('{\n  "id": "1' + "1" * 150 + '",\n  "x": 3.' + "1" * 150 + "\n}\n")
    [finding] = [f for f in lint_file(path, MetadataValidator()) if f.code == "MC109"]
    assert (span(finding).line, span(finding).column) == (3, 8)
    assert "151 digits reads as 3.111111111111111" in finding.message


def test_long_digits_in_a_string_or_a_key_are_no_number(tmp_path: Path) -> None:
    path = tmp_path / "quoted.json"
    digits = "1" * 120
    text = f'{{"s": "see 1.{digits}", "{digits}.5": 1, "x": 2.{digits}}}\n'
    path.write_text(text)
    found = [f for f in lint_file(path, MetadataValidator()) if f.code == "MC109"]
    assert [(span(f).line, span(f).column) for f in found] == [(1, text.index("2.1") + 1)]


def test_a_non_ascii_digit_in_a_broken_number_is_worded_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "digits.json"
    path.write_text('{"a": [1\u0661' + "1" * 5000 + "]}\n", encoding="utf-8")
    [finding] = lint_file(path, MetadataValidator())
    assert finding.code == "MC301"


def test_fifos_and_devices_are_skipped_with_a_code_never_read(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    os.mkfifo(tmp_path / "models" / "pipe.json")  # nobody writes to it: reading would block
    (tmp_path / "models" / "ok.json").write_text(json.dumps(VALID))
    findings, checked = lint_paths([tmp_path / "models", "/dev/zero"], MetadataValidator())
    assert checked == 3
    assert [(Path(span(f).path).name, f.code, f.severity) for f in findings] == [
        ("pipe.json", "MC309", Severity.WARNING),
        ("zero", "MC309", Severity.WARNING),
    ]
    assert "a FIFO" in findings[0].message
    assert "a character device" in findings[1].message


def test_a_file_too_deep_for_the_parser_is_mc110_not_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 990 + "]" * 990)
    [finding] = lint_file(path, MetadataValidator())
    assert (finding.code, span(finding).line, span(finding).column) == ("MC110", 1, 1)
    assert "nested too deeply to be read" in finding.message


def test_a_key_with_a_lone_surrogate_is_placed_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    path.write_text('{\n  "framework": "x",\n  "a\\ud800": 1\n}\n')
    [finding] = [f for f in lint_file(path, MetadataValidator()) if f.code == "MC108"]
    assert span(finding).line == 3


def test_a_unix_socket_is_skipped_as_what_it_is(tmp_path: Path) -> None:
    # A socket cannot even be opened (ENXIO): it is named, not reported as a read failure.
    path = tmp_path / "sock.json"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        [finding] = lint_file(path, MetadataValidator())
    assert (finding.code, finding.severity) == ("MC309", Severity.WARNING)
    assert "a socket" in finding.message


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: no disk, and never read
    [finding] = lint_file(path, MetadataValidator())
    assert (finding.code, span(finding).line, span(finding).column) == ("MC310", 1, 1)
