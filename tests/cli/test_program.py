"""The `model-conformance` program (`run`): `lint` skips the interpreter's teardown, and
nothing a user can see changes: every line is written, the exit code is the verdict's,
atexit handlers run, and a reader that leaves early gets Python's own status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from model_conformance.cli import main

# The program as the console script starts it; `before` runs first in the same process.
_PROGRAM = "import sys\n{before}\nfrom model_conformance.cli import run\nrun()\n"


def program(*args: str, cwd: Path, before: str = "") -> subprocess.Popen[bytes]:
    """The program started with `args`, its output and errors piped back."""
    code = _PROGRAM.format(before=before)
    command = [sys.executable, "-c", code, *args]
    return subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, (out or b"").decode(), (err or b"").decode()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """1,000 files missing `framework`: far more output than a pipe holds."""
    for i in range(1000):
        (tmp_path / f"m{i:04d}.json").write_text(json.dumps({"model_family": "cnn"}))
    return tmp_path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_lint_writes_every_line_and_exits_with_the_verdict(
    folder: Path, jobs: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["lint", "--isolated", "--jobs", jobs, "."]
    status, out, err = finish(program(*args, cwd=folder))
    assert status == 1, err
    assert sum(" MC101 missing `framework`" in line for line in out.splitlines()) == 1000
    monkeypatch.chdir(folder)
    with pytest.raises(SystemExit):
        main(args)
    assert out == capsys.readouterr().out  # to the byte what the command writes in-process


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["lint", "--isolated", "--format", "json", "m0000.json"], 1),
        (["lint", "--help"], 0),
        (["lint", "--no-such-option"], 2),
        (["lint", "--isolated", "--select", "MC3", "m0000.json"], 0),
        (["lint", "--isolated", "--select", "MC9", "m0000.json"], 2),
    ],
)
def test_lint_exit_codes_are_those_of_the_command(
    folder: Path, args: list[str], expected: int
) -> None:
    status, out, err = finish(program(*args, cwd=folder))
    assert status == expected, err
    assert "Traceback" not in err
    if args[-1] == "m0000.json" and "json" in args:
        assert json.loads(out)  # the whole document reached the pipe


def test_atexit_handlers_still_run(folder: Path) -> None:
    # coverage.py, for one, saves its data from an atexit handler.
    before = "import atexit\natexit.register(lambda: print('atexit ran'))"
    process = program("lint", "--isolated", "m0000.json", cwd=folder, before=before)
    status, out, _ = finish(process)
    assert status == 1
    assert out.splitlines()[-1] == "atexit ran"


def test_a_reader_that_leaves_before_the_first_line(folder: Path) -> None:
    process = program("lint", "--isolated", "m0000.json", cwd=folder)
    assert process.stdout is not None
    process.stdout.close()  # before the program writes a line
    status, _, err = finish(process)
    assert status == 1  # click's own answer to a broken pipe, as before
    assert "Traceback" not in err


def test_a_reader_that_leaves_in_the_middle_of_a_long_report(folder: Path) -> None:
    process = program("lint", "--isolated", "--jobs", "1", ".", cwd=folder)
    assert process.stdout is not None
    first = process.stdout.readline()
    process.stdout.close()  # as `| head -1` does
    assert b"MC101" in first
    assert process.wait(timeout=120) == 1  # click's own answer to a broken pipe


def test_main_still_raises_system_exit_for_callers_that_stay(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(folder)
    with pytest.raises(SystemExit) as done:
        main(["lint", "--isolated", "m0000.json"])
    assert done.value.code == 1
    assert "MC101" in capsys.readouterr().out
