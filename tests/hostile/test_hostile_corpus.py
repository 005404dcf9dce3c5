"""Every hostile input through the real `lint` and `register` processes: each one named in
the output with a code, exit 0, 1 or 2, no traceback, bounded time and memory."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from tests.hostile.corpus import write_corpus

GIB = 1024 * 1024 * 1024
# Inputs that are, in truth, valid metadata: nothing to report on them.
VALID_METADATA = {
    "int-4300-digits.json",  # the longest integer Python reads
    "unknown-keys.json",  # a warning (MC203) only
    "ref-in-instance.json",  # `$ref` in a document is data, never followed
    "schema-in-instance.json",
    "bidi-override.json",  # strange text is still text: the output escapes it
    "escaped-controls.json",
    "nul-value.json",  # lint cannot know; register refuses it (MC411)
    "huge-string.json",  # a 10 MB unknown key: valid, and read in bounded time
    "huge-string-of-structure.json",  # commas and brackets in a string are not values
    "huge-string-of-escaped-quotes.json",
    "long-key.json",
    "wrong-evaluation_dataset-0.json",  # null: not evaluated against a dataset yet
    "wrong-evaluation_dataset-5.json",  # long strings are strings
    "wrong-framework-5.json",
    "wrong-model_family-5.json",
    "wrong-evaluation_metrics-7.json",  # {}: not evaluated yet is allowed
    "dir.json",  # a directory is walked, and holds nothing
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("hostile")
    return folder, write_corpus(folder)


def _run(
    args: list[str], cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    raw = subprocess.run(
        [sys.executable, "-m", "model_conformance", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=300,
    )
    # Strict: the tool's own output is UTF-8, whatever bytes it was fed.
    done = subprocess.CompletedProcess(
        raw.args, raw.returncode, raw.stdout.decode("utf-8"), raw.stderr.decode("utf-8")
    )
    assert done.returncode in (0, 1, 2), done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-4000:]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    assert peak < GIB, f"a child peaked at {peak / GIB:.2f} GiB"
    return done


def test_the_corpus_has_at_least_150_inputs(corpus: tuple[Path, list[str]]) -> None:
    assert len(corpus[1]) >= 150


def test_lint_names_every_hostile_input_with_a_code(corpus: tuple[Path, list[str]]) -> None:
    folder, names = corpus
    done = _run(["lint", "--isolated", "--jobs", "1", "--format", "json", *names], folder)
    assert done.returncode == 1
    findings = json.loads(done.stdout)
    reported = {finding["file"] for finding in findings}
    for finding in findings:
        assert finding["code"].startswith("MC")
        assert finding["message"]
    missing = sorted(set(names) - reported - VALID_METADATA)
    assert missing == []
    # The folder walk meets the same files (and the FIFO, the loop, the device) alike.
    walked = _run(["lint", "--isolated", "--jobs", "2", "."], folder)
    assert walked.returncode == 1


def test_register_judges_every_hostile_input_alone(
    corpus: tuple[Path, list[str]], db_dsn: str
) -> None:
    folder, names = corpus
    done = _run(["register", "--dsn", db_dsn, "--dry-run", *names], folder)
    assert done.returncode == 1
    statuses = {}
    for line in done.stdout.splitlines():
        if not line.startswith(" ") and ": " in line and not line.startswith("dry run"):
            label, status = line.split(": ", 1)
            statuses[label] = status.split()[0]
    assert sorted(statuses) == sorted(names)
    assert set(statuses.values()) <= {"valid", "rejected"}
    assert statuses["registration-00.json"] == "valid"


def test_register_reads_every_hostile_line_of_stdin_alone(
    corpus: tuple[Path, list[str]], db_dsn: str
) -> None:
    folder, names = corpus
    lines = [
        (folder / name).read_bytes().replace(b"\n", b" ")
        for name in names
        if (folder / name).is_file() and (folder / name).stat().st_size < 20_000_000
    ]
    done = _run(["register", "--dsn", db_dsn, "--dry-run", "-"], folder, b"\n".join(lines))
    assert done.returncode == 1
    judged = [line for line in done.stdout.splitlines() if line.startswith("<stdin>:")]
    blank = sum(1 for line in lines if not line.strip())
    assert len(judged) == len(lines) - blank
