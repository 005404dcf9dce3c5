"""Acceptance: the real `pre-commit try-repo` runs the `model-code-pins` hook.

A scratch training repository whose remote is the pins' URL holds three registration
documents: one pinning a pushed commit and a file it has, one pinning a commit that was never
pushed, one whose entrypoint was renamed before the commit it pins. Building the hook's
environment takes a while, so there is one `try-repo` run (marked `slow`, for information).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.git_repos import ENV, Repo

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((REPO / "examples" / "registration.json").read_text())
URL = EXAMPLE["model_version"]["code_repo_url"]


def place(text: str, key: str) -> str:
    """`line:column` of the value of `key` in `text`, as the hook names it."""
    quoted = f'"{key}": '
    for number, line in enumerate(text.splitlines(), start=1):
        if quoted in line:
            return f"{number}:{line.index(quoted) + len(quoted) + 1}"
    raise AssertionError(key)


def registration(commit: str, entrypoint: str) -> str:
    doc = copy.deepcopy(EXAMPLE)
    doc["model_version"]["code_commit_sha"] = commit
    doc["model_version"]["code_entrypoint"] = entrypoint
    return json.dumps(doc, indent=2)


@pytest.mark.slow
def test_try_repo_fails_unpushed_and_renamed_pins_and_passes_a_good_one(tmp_path: Path) -> None:
    pre_commit = Path(sys.executable).parent / "pre-commit"
    work = Repo.init(tmp_path / "training", remote=URL)
    pushed = work.commit({"train.py": "", "configs/v1.yaml": ""})
    work.publish()
    work.git("mv", "train.py", "fit.py")
    unpushed = work.commit()
    (work.path / "models").mkdir()
    files = {
        "models/good.registration.json": registration(pushed, "train.py --config configs/v1.yaml"),
        "models/unpushed.registration.json": registration(unpushed, "fit.py"),
        "models/renamed.registration.json": registration(pushed, "python fit.py"),
        "models/notes.json": "not a registration, and not JSON either",
    }
    for name, text in files.items():
        (work.path / name).write_text(text)
    work.git("add", ".")
    unpushed_text = files["models/unpushed.registration.json"]
    renamed_text = files["models/renamed.registration.json"]

    done = subprocess.run(
        [str(pre_commit), "try-repo", str(REPO), "model-code-pins", "--verbose", "--all-files"],
        cwd=work.path,
        env=dict(ENV, NO_COLOR="1", PATH=os.environ["PATH"]),
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = done.stdout + done.stderr

    assert done.returncode == 1, output
    short = unpushed[:12]
    assert (
        f"models/unpushed.registration.json:{place(unpushed_text, 'code_commit_sha')}: "
        f"MC803 unreachable: commit {short} of "
        "git.example.org/ml/sea-ad-classifier has fit.py as a regular file, but is on no "
        "branch of its remote or a tag" in output
    ), output
    assert (
        f"models/renamed.registration.json:{place(renamed_text, 'code_entrypoint')}: "
        f"MC804 fail: git.example.org/ml/sea-ad-classifier "
        f"at {pushed[:12]}: fit.py is not in the commit" in output
    ), output
    assert "good.registration.json" not in output, output
    assert "notes.json" not in output, output
    assert "3 pin(s) checked: 1 pass, 1 fail, 1 unreachable, 0 unverifiable" in output, output
