"""The `model-conformance` program (`run`): `lint` skips the interpreter's teardown, and
nothing a user can see changes: every line is written, the exit code is the verdict's,
atexit handlers run, and a reader that leaves early gets Python's own status. Output that
cannot be written (a full disk, a closed descriptor) is one error line, MC398, and exit 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from model_conformance.cli import main

# The program as the console script starts it; `before` runs first in the same process.
_PROGRAM = "import sys\n{before}\nfrom model_conformance.cli import run\nrun()\n"


def program(
    *args: str,
    cwd: Path,
    before: str = "",
    stdout: int | IO[bytes] = subprocess.PIPE,
    stderr: int | IO[bytes] = subprocess.PIPE,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """The program started with `args`, its output and errors piped back unless told."""
    code = _PROGRAM.format(before=before)
    command = [sys.executable, "-c", code, *args]
    return subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=stderr, env=env)


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


# --- output that cannot be written -------------------------------------------------------

FULL_DISK = "error: cannot write the report to standard output: No space left on device [MC398]\n"
needs_dev_full = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")


def environment(unbuffered: bool = False) -> dict[str, str]:
    """The environment with stdout block-buffered, as in a pipe or a file, or unbuffered."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return env | {"PYTHONUNBUFFERED": "1"} if unbuffered else env


def to_full_disk(*args: str, cwd: Path, unbuffered: bool = False) -> tuple[int, str]:
    """The program's status and stderr, its output going to /dev/full (every write: ENOSPC)."""
    with open("/dev/full", "wb") as full:
        process = program(*args, cwd=cwd, stdout=full, env=environment(unbuffered))
        status, _, err = finish(process)
    return status, err


@needs_dev_full
@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif", "junit"])
def test_a_full_disk_is_one_error_line_and_exit_2_in_every_format(folder: Path, fmt: str) -> None:
    # Python's exit flushes stdout again: no "Exception ignored", no status 120 from it.
    status, err = to_full_disk("lint", "--isolated", "--format", fmt, "m0000.json", cwd=folder)
    assert (status, err) == (2, FULL_DISK)


@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [
        ["lint", "--isolated", "--jobs", "2", "."],
        ["rule", "MC101"],
        ["rule"],
        ["lint", "--help"],
        ["--help"],
        ["--version"],
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_a_full_disk_is_one_error_line_and_exit_2_for_every_command(
    folder: Path, args: list[str], unbuffered: bool
) -> None:
    assert to_full_disk(*args, cwd=folder, unbuffered=unbuffered) == (2, FULL_DISK)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_report_cut_short_by_the_file_size_limit_is_an_error(folder: Path, jobs: str) -> None:
    # EFBIG after 64 KiB of a report of about 700 KiB: some lines were written, then none.
    limit = "import resource\nresource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))"
    report = folder / "report.txt"  # not *.json: the walk leaves it alone
    with report.open("wb") as out:
        args = ["lint", "--isolated", "--jobs", jobs, "."]
        process = program(*args, cwd=folder, before=limit, stdout=out, env=environment())
        status, _, err = finish(process)
    assert status == 2
    assert err == "error: cannot write the report to standard output: File too large [MC398]\n"
    assert report.stat().st_size == 65536


def test_a_closed_standard_output_is_an_error(folder: Path) -> None:
    closed = "import os\nos.close(1)"  # after Python set sys.stdout up: EBADF on write
    status, _, err = finish(program("rule", "MC101", cwd=folder, before=closed, env=environment()))
    assert status == 2
    assert err == "error: cannot write the report to standard output: Bad file descriptor [MC398]\n"


@pytest.mark.parametrize("args", [["lint", "--isolated", "m0000.json"], ["rule", "MC101"]])
def test_a_program_started_without_standard_output_is_an_error(
    folder: Path, args: list[str]
) -> None:
    # `>&-`: Python starts with sys.stdout None.
    code = _PROGRAM.format(before="")
    command = ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-c", code, *args]
    done = subprocess.run(command, cwd=folder, stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 2
    assert done.stderr.decode() == (
        "error: cannot write the report to standard output: Bad file descriptor [MC398]\n"
    )


@needs_dev_full
def test_when_stderr_cannot_be_written_either_the_status_still_says_it(folder: Path) -> None:
    with open("/dev/full", "wb") as full:
        args = ["lint", "--isolated", "m0000.json"]
        process = program(*args, cwd=folder, stdout=full, stderr=full, env=environment())
        assert finish(process)[0] == 2


@needs_dev_full
def test_main_raises_system_exit_2_in_process_when_output_cannot_be_written(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    full = io.TextIOWrapper(io.FileIO("/dev/full", "w"), write_through=True)  # holds nothing
    monkeypatch.setattr(sys, "stdout", full)
    with pytest.raises(SystemExit) as done:
        main(["rule", "MC101"])
    monkeypatch.undo()
    full.close()
    assert done.value.code == 2
    assert capsys.readouterr().err == FULL_DISK
