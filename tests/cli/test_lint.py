"""`model-conformance lint`: output, formats, code selection, configuration, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from tests.support.unprivileged import in_unprivileged_child, shared_folder

from model_conformance.cli import cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "metadata"

VALID: dict[str, Any] = {
    "model_family": "transformer",
    "framework": "pytorch",
    "parameter_count": 110000000,
    "training_data": ["dataset:a"],
    "evaluation_dataset": "dataset:b",
    "evaluation_metrics": {"auroc": 0.91},
    "training_config": {"entrypoint": "train.py"},
}
# parameter_count is on line 4, its value at column 22.
WRONG_TYPE = 'bad.json:4:22: MC102 `parameter_count` must be a whole number, not "1.2M"'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory (no pyproject.toml above it) with a good and a bad file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    write(tmp_path / "good.json", VALID)
    write(tmp_path / "bad.json", VALID | {"parameter_count": "1.2M"})
    return tmp_path


def write(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def lint(*args: str) -> Result:
    return CliRunner().invoke(cli, ["lint", *args])


def test_clean_files_exit_0_with_a_summary(project: Path) -> None:
    result = lint("good.json")
    assert result.exit_code == 0
    assert result.stdout == "Checked 1 file: no problems.\n"


def test_the_shipped_examples_pass() -> None:
    result = lint(str(EXAMPLES))
    assert result.exit_code == 0, result.stdout
    assert "no problems" in result.stdout


def test_a_violation_is_reported_as_path_line_col_code_message(project: Path) -> None:
    result = lint("good.json", "bad.json")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [WRONG_TYPE, "Found 1 error in 1 of 2 files."]


def test_text_is_not_coloured_off_a_terminal(project: Path) -> None:
    assert "\033[" not in lint("bad.json").stdout


def test_one_bad_file_never_stops_the_others(project: Path) -> None:
    (project / "broken.json").write_text('{"a": 1,}')
    result = lint("missing.json", "broken.json", "bad.json", "good.json")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "missing.json:1:1: MC308 cannot read the file: no such file",
        "broken.json:1:8: MC301 not valid JSON: trailing comma before '}'",
        WRONG_TYPE,
        "Found 3 errors in 3 of 4 files.",
    ]


def test_a_file_or_folder_that_cannot_be_read_is_reported_and_the_others_judged() -> None:
    with shared_folder() as folder:
        write(folder / "bad.json", VALID | {"parameter_count": "1.2M"})
        write(folder / "locked.json", VALID)
        write(folder / "closed" / "inside.json", VALID)
        (folder / "locked.json").chmod(0)
        (folder / "closed").chmod(0)

        def run() -> str:
            os.chdir(folder)
            result = lint("--isolated", "locked.json", "closed", "bad.json")
            return f"{result.exit_code}\n{result.stdout}"

        answer = in_unprivileged_child(run)
    assert answer.splitlines() == [
        "1",
        "locked.json:1:1: MC308 cannot read the file: permission denied",
        "closed:1:1: MC308 cannot read the file: permission denied",
        WRONG_TYPE,
        "Found 3 errors in 3 of 3 files.",
    ]


def test_an_empty_path_is_the_current_directory(project: Path) -> None:
    assert lint("").stdout.splitlines() == [WRONG_TYPE, "Found 1 error in 1 of 2 files."]


def test_a_name_with_a_nul_byte_is_reported_in_its_place(project: Path) -> None:
    result = lint("a\x00b.json", "bad.json")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "a\\x00b.json:1:1: MC308 cannot read the file: its name holds a NUL byte",
        WRONG_TYPE,
        "Found 2 errors in 2 of 2 files.",
    ]


def test_directories_are_walked_for_json_files_skipping_hidden_ones(project: Path) -> None:
    write(project / "models" / "a" / "metadata.json", VALID | {"framework": ""})
    write(project / "models" / ".cache" / "metadata.json", {})
    (project / "models" / "README.md").write_text("not json")
    result = lint("models")
    assert result.stdout.splitlines()[0].startswith("models/a/metadata.json:3:16: MC105 ")
    assert "Checked" not in result.stdout
    assert result.stdout.splitlines()[-1] == "Found 1 error in 1 of 1 file."


def test_a_file_named_twice_is_checked_once(project: Path) -> None:
    result = lint("bad.json", "./bad.json", ".")
    assert result.stdout.count("MC102") == 1


# --- warnings and --strict -------------------------------------------------------------


@pytest.fixture
def warning_only(project: Path) -> Path:
    write(project / "typo.json", VALID | {"traned_at": "2024-05-01T12:00:00Z"})
    return project / "typo.json"


def test_warnings_alone_exit_0(warning_only: Path) -> None:
    result = lint("typo.json")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "typo.json:15:3: MC203 [warning] unknown key `traned_at`: did you mean `trained_at`?",
        "Found 1 warning in 1 of 1 file.",
    ]


def test_strict_fails_on_warnings(warning_only: Path) -> None:
    assert lint("--strict", "typo.json").exit_code == 1


# --- --select / --ignore -----------------------------------------------------------------


def test_select_keeps_only_matching_prefixes(project: Path) -> None:
    (project / "dup.json").write_text(json.dumps(VALID)[:-1] + ', "framework": "jax"}')
    result = lint("--select", "MC3", "bad.json", "dup.json")
    assert result.exit_code == 1
    assert [line.split()[1] for line in result.stdout.splitlines()[:-1]] == ["MC302"]


def test_ignore_drops_matching_prefixes(project: Path) -> None:
    result = lint("--ignore", "MC102", "bad.json")
    assert result.exit_code == 0
    assert "MC102" not in result.stdout


def test_select_and_ignore_take_comma_separated_lists(project: Path) -> None:
    result = lint("--select", "MC1,MC3", "--ignore", "mc10", "bad.json")
    assert result.exit_code == 0


def test_an_unknown_code_is_a_usage_error(project: Path) -> None:
    result = lint("--select", "MC9", "bad.json")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --select: 'MC9' matches no rule code (codes look like MC301; see docs/rules.md)"
        " [MC390]\n"
    )


@pytest.mark.parametrize("option", ["--select", "--ignore"])
@pytest.mark.parametrize("code", ["XX1", "MC1,MC9"])
def test_an_unknown_code_is_named_whichever_option_and_list_it_is_in(
    project: Path, option: str, code: str
) -> None:
    result = lint(option, code, "bad.json")
    assert result.exit_code == 2
    unknown = code.split(",")[-1]
    assert result.stderr.startswith(f"error: {option}: '{unknown}' matches no rule code")
    assert result.stdout == ""


@pytest.mark.parametrize("option", ["--select", "--ignore"])
@pytest.mark.parametrize("value", [",,", ",", "", " "])
def test_an_option_naming_no_code_is_a_usage_error_not_every_rule(
    project: Path, option: str, value: str
) -> None:
    result = lint(option, value, "bad.json")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {option}: {value!r} names no rule code; give code prefixes such as MC1 or "
        "MC301, separated by commas [MC390]\n"
    )
    assert result.stdout == ""


def test_a_trailing_comma_after_a_code_is_harmless(project: Path) -> None:
    result = lint("--select", "MC102,", "bad.json")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == WRONG_TYPE


# --- formats -----------------------------------------------------------------------------


def test_json_format_lists_each_finding(project: Path) -> None:
    result = lint("--format", "json", "bad.json", "good.json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {
            "file": "bad.json",
            "line": 4,
            "column": 22,
            "code": "MC102",
            "name": "wrong-type",
            "severity": "error",
            "message": '`parameter_count` must be a whole number, not "1.2M"',
            "pointer": "/parameter_count",
            "json_path": "$.parameter_count",
        }
    ]


def test_json_format_of_clean_files_is_an_empty_list(project: Path) -> None:
    result = lint("--format", "json", "good.json")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_github_format_prints_workflow_annotations(project: Path) -> None:
    result = lint("--format", "github", "bad.json")
    assert result.exit_code == 1
    assert result.stdout == (
        "::error file=bad.json,line=4,col=22,title=MC102 wrong-type::"
        'MC102 `parameter_count` must be a whole number, not "1.2M"\n'
        "Found 1 error in 1 of 1 file.\n"  # the verdict, as every format ends with it
    )


def test_github_format_escapes_what_would_break_the_command(project: Path) -> None:
    (project / "a,b.json").write_text("[]")
    result = lint("--format", "github", "a,b.json")
    assert result.stdout.startswith("::error file=a%2Cb.json,line=1,col=1,")


def test_sarif_format_is_a_sarif_2_1_0_log(project: Path) -> None:
    result = lint("--format", "sarif", "bad.json", "good.json")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "model-conformance"
    [result_] = run["results"]
    assert result_["ruleId"] == "MC102"
    assert result_["level"] == "error"
    assert driver["rules"][result_["ruleIndex"]]["id"] == "MC102"
    assert result_["message"]["text"] == '`parameter_count` must be a whole number, not "1.2M"'
    [location] = result_["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "bad.json"},
        "region": {"startLine": 4, "startColumn": 22},
    }
    assert run["columnKind"] == "unicodeCodePoints"


def test_sarif_marks_warnings_as_warnings(warning_only: Path) -> None:
    log = json.loads(lint("--format", "sarif", "typo.json").stdout)
    assert log["runs"][0]["results"][0]["level"] == "warning"


# --- pyproject.toml -------------------------------------------------------------------


def configure(project: Path, table: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.model_conformance]\n{table}\n")


def test_settings_come_from_the_nearest_pyproject(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(project, 'ignore = ["MC102"]')
    (project / "sub").mkdir()
    (project / "sub" / "pyproject.toml").write_text("[project]\nname = 'other'\n")
    monkeypatch.chdir(project / "sub")  # its pyproject has no table: the parent's applies
    assert lint("../bad.json").exit_code == 0


def test_flags_override_the_pyproject(project: Path) -> None:
    configure(project, 'ignore = ["MC102"]')
    assert lint("--ignore", "MC3", "bad.json").exit_code == 1


def test_isolated_ignores_the_pyproject(project: Path) -> None:
    configure(project, 'ignore = ["MC102"]')
    assert lint("--isolated", "bad.json").exit_code == 1


def test_strict_from_the_pyproject(warning_only: Path) -> None:
    configure(warning_only.parent, "strict = true")
    assert lint("typo.json").exit_code == 1
    assert lint("--no-strict", "typo.json").exit_code == 0


def test_paths_from_the_pyproject_when_none_are_given(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(project, 'paths = ["good.json", "bad.json"]')
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    result = lint()
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("../bad.json:4:22: MC102 ")


def test_no_paths_anywhere_is_a_usage_error(project: Path) -> None:
    result = lint()
    assert result.exit_code == 2
    assert result.stderr == (
        "error: no PATH given and no `paths` in [tool.model_conformance]; name the metadata "
        "files or directories to lint [MC390]\n"
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("strict = 'yes'", "`strict` must be true or false"),
        ("select = [1]", "`select` must be a list of strings"),
        ('ignore = ["XY1"]', "'XY1' matches no rule code"),
        ("[", "is not valid TOML"),
    ],
)
def test_a_bad_pyproject_is_a_configuration_error(project: Path, table: str, message: str) -> None:
    configure(project, table)
    result = lint("good.json")
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.startswith("error: ")
    assert result.stderr.endswith(" [MC390]\n")
    assert "Traceback" not in result.output


KNOWN = (
    "the known keys are `schema`, `schema_dir`, `select`, `ignore`, `strict`, `paths`, "
    "`max_size`, `repositories`, `gates` [MC390]\n"
)


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ("bogus = 1", "an unknown key `bogus`; "),
        ('selct = ["MC1"]', "an unknown key `selct` (did you mean `select`?); "),
        ("igonre = []", "an unknown key `igonre` (did you mean `ignore`?); "),
        ('path = ["models"]', "an unknown key `path` (did you mean `paths`?); "),
        ("[tool.model_conformance.lint]", "an unknown key `lint`; "),
    ],
)
def test_an_unknown_pyproject_key_is_named_with_the_known_ones(
    project: Path, table: str, said: str
) -> None:
    configure(project, table)
    result = lint("bad.json")
    assert result.exit_code == 2
    where = project / "pyproject.toml"
    assert result.stderr == f"error: {where}: [tool.model_conformance] has {said}{KNOWN}"
    assert result.stdout == ""


def test_every_known_pyproject_key_is_accepted(project: Path) -> None:
    (project / "s.json").write_text("{}")
    configure(
        project,
        'schema = "s.json"\nselect = ["MC1"]\nignore = []\nstrict = false\npaths = ["good.json"]',
    )
    assert lint().exit_code == 0


def test_an_empty_select_in_the_pyproject_is_an_error_not_every_rule(project: Path) -> None:
    configure(project, "select = []")
    result = lint("bad.json")
    assert result.exit_code == 2
    where = project / "pyproject.toml"
    assert result.stderr == (
        f"error: {where}: [tool.model_conformance] `select` is empty; leave it out to select "
        "every rule [MC390]\n"
    )


def test_an_empty_ignore_in_the_pyproject_ignores_nothing(project: Path) -> None:
    configure(project, "ignore = []")
    assert lint("bad.json").exit_code == 1


# --- --schema ----------------------------------------------------------------------------


def test_another_schema_can_be_used(project: Path) -> None:
    schema = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    (project / "schema.json").write_text(json.dumps(schema))
    write(project / "named.json", {"name": 3})
    result = lint("--schema", "schema.json", "named.json", "good.json")
    assert result.stdout.splitlines() == [
        "named.json:2:11: MC102 `name` must be a string, not 3",
        "good.json:1:1: MC101 missing `name`",
        "Found 2 errors in 2 of 2 files.",
    ]


def test_a_schema_path_in_the_pyproject_is_relative_to_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "schemas").mkdir()
    (project / "schemas" / "s.json").write_text('{"required": ["name"]}')
    configure(project, 'schema = "schemas/s.json"')
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    result = lint("../good.json")
    assert "MC101 missing `name`" in result.stdout


def test_an_unusable_schema_is_a_configuration_error(project: Path) -> None:
    (project / "schema.json").write_text("{not json")
    result = lint("--schema", "schema.json", "good.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert result.stderr.endswith(" [MC620]\n")
    assert "Traceback" not in result.output


def test_an_unknown_format_is_a_usage_error(project: Path) -> None:
    assert lint("--format", "xml", "good.json").exit_code == 2


# --- docs/rules.md -----------------------------------------------------------------------


def test_the_settings_and_schema_error_examples_in_rules_md_are_the_real_output(
    project: Path,
) -> None:
    rules = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    (project / "models").mkdir()

    assert lint("--select", "MC9", "models/").stderr.rstrip("\n") in rules

    ref = {"properties": {"license": {"$ref": "https://example.com/license.json"}}}
    (project / "my_schema.json").write_text(json.dumps(ref))
    assert lint("--schema", "my_schema.json", "models/").stderr.rstrip("\n") in rules

    configure(project, 'selct = ["MC1"]')
    said = lint("models/").stderr.rstrip("\n")
    assert said.replace(str(project), "/home/me/project") in rules


def test_the_saved_schema_example_of_the_docs_resolves_offline(project: Path) -> None:
    # docs/rules.md (MC620) and docs/conformance.md: save the referenced schema in a folder
    # with its $id, name the folder, and the remote $ref resolves without the network.
    ref = {"properties": {"license": {"$ref": "https://example.com/license.json"}}}
    (project / "my_schema.json").write_text(json.dumps(ref))
    (project / "schemas").mkdir()
    saved = {"$id": "https://example.com/license.json", "enum": ["MIT", "Apache-2.0"]}
    (project / "schemas" / "license.json").write_text(json.dumps(saved))
    (project / "models").mkdir()
    (project / "models" / "ok.json").write_text('{"license": "MIT"}')
    args = ("--isolated", "--schema", "my_schema.json", "--schema-dir", "schemas/", "models/")
    assert lint(*args).exit_code == 0
    (project / "models" / "bad.json").write_text('{"license": "GPL"}')
    refused = lint(*args)
    assert refused.exit_code == 1
    assert 'MC107 `license` must be one of "MIT", "Apache-2.0", not "GPL"' in refused.stdout
    configure(project, 'schema = "my_schema.json"\nschema_dir = "schemas"')
    assert lint("models/ok.json").exit_code == 0


def test_lint_does_not_import_the_database_layer() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "model_conformance", "lint", str(EXAMPLES)],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()}
    assert not {m for m in imported if m.split(".")[0] == "psycopg"}
    assert not {m for m in imported if m.startswith(("model_conformance.db", "pixeltable"))}
    assert "model_conformance.lint" in imported  # the check saw the lint path at all


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_no_input_can_forge_a_line_or_crash_the_output(tmp_path: Path, fmt: str) -> None:
    # A file name with a newline and a bidi override, keys with lone surrogates and
    # a forged annotation: each format prints them escaped, and the run ends normally.
    name = "evil\n::error file=x::forged\u202e.json"
    (tmp_path / name).write_text('{"fram\\ud800": 1, "ok\\nMC999 forged": 2, "\\udc00": 3}')
    done = subprocess.run(
        [sys.executable, "-m", "model_conformance", "lint", "--isolated", "--format", fmt, name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="strict",
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    if fmt in ("json", "sarif"):
        json.loads(done.stdout)  # the name is data there, in a valid JSON string
        return
    assert "\u202e" not in done.stdout
    for line in done.stdout.splitlines():
        assert not line.startswith("::error file=x"), line
        assert "MC999" not in line.split(":", 3)[-1][:6]


def test_the_size_limit_is_a_flag_or_a_setting(project: Path) -> None:
    (project / "big.json").write_text(json.dumps({"notes": "x" * 3000}))
    refused = lint("--isolated", "--max-size", "2KiB", "big.json")
    assert refused.exit_code == 1
    assert refused.stdout.startswith("big.json:1:1: MC310 larger than 2 KiB: not read")
    (project / "pyproject.toml").write_text('[tool.model_conformance]\nmax_size = "2KiB"\n')
    assert "MC310 larger than 2 KiB" in lint("big.json").stdout
    assert "MC310" not in lint("--max-size", "1MB", "big.json").stdout  # the flag wins


@pytest.mark.parametrize("size", ["0", "2XB", "-1", "1.5MiB", ""])
def test_a_size_that_is_no_size_is_a_usage_error(project: Path, size: str) -> None:
    result = lint("--isolated", "--max-size", size, "good.json")
    assert result.exit_code == 2
    assert "is not a size" in result.output


def test_a_bad_size_setting_names_the_key(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.model_conformance]\nmax_size = "big"\n')
    result = lint("good.json")
    assert result.exit_code == 2
    assert "`max_size`: 'big' is not a size" in result.output
    assert "[MC390]" in result.output


def test_no_file_name_can_start_a_github_workflow_command_in_text(project: Path) -> None:
    (project / "::error title=x::forged.json").write_text("{}")
    result = lint("--isolated", ".")
    assert not any(line.startswith("::") for line in result.stdout.splitlines())
    assert "\\x3a:error title=x::forged.json:1:1: MC101" in result.stdout


def test_the_error_line_escapes_what_it_quotes(project: Path) -> None:
    result = lint("--schema", "nope\n::error file=x::forged.json", "good.json")
    assert result.exit_code == 2
    assert not any(line.startswith("::") for line in result.stderr.splitlines())
    assert "nope\\n::error file=x::forged.json" in result.stderr


def test_sarif_names_a_file_whose_name_is_not_utf8(project: Path) -> None:
    name = os.fsdecode(b"bad\xff.json")
    (project / name).write_text("{}")
    result = lint("--isolated", "--format", "sarif", name)
    assert result.exit_code == 1
    [location] = json.loads(result.stdout)["runs"][0]["results"][0]["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "bad%FF.json"


def test_a_pyproject_that_is_not_utf8_is_a_settings_error(project: Path) -> None:
    (project / "pyproject.toml").write_bytes(b"\xff\xfe[tool.model_conformance]\n")
    result = lint("good.json")
    assert result.exit_code == 2
    assert "[MC390]" in result.stderr
    assert "Traceback" not in result.output
