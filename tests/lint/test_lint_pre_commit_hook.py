"""Acceptance: the real `pre-commit try-repo` against this repository's hook manifest.

pre-commit builds the hook's environment the way a user's machine does (a fresh virtualenv,
`pip install` of this repository at HEAD plus its uncommitted changes, dependencies from the
package index), then runs `model-metadata` in a scratch git repository. Building that
environment takes a while, so there is exactly one `try-repo` run, over a bad file, a good
file and a file the hook's default `files` pattern must leave alone. Marked `slow` for
information only: it runs in `make test` like every other test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "examples" / "metadata" / "churn_classifier.model.json"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.slow
def test_try_repo_fails_a_bad_file_with_its_location_and_passes_a_good_one(
    tmp_path: Path,
) -> None:
    pre_commit = Path(sys.executable).parent / "pre-commit"
    assert pre_commit.exists(), "pre-commit is a test dependency"
    assert shutil.which("git"), "git is needed by pre-commit"

    work = tmp_path / "user-repo"
    (work / "models" / "churn").mkdir(parents=True)
    (work / "models" / "legacy").mkdir(parents=True)
    bad = json.loads(GOOD.read_text()) | {"parameter_count": "1.2M"}
    (work / "models" / "churn" / "metadata.json").write_text(json.dumps(bad, indent=2))
    shutil.copy(GOOD, work / "models" / "legacy" / "churn_v1.model.json")
    (work / "package.json").write_text('{"name": "not model metadata"}')
    git(work, "init", "-q")
    git(work, "add", ".")

    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="test",
        GIT_COMMITTER_EMAIL="test@example.com",
        NO_COLOR="1",
    )
    done = subprocess.run(
        [str(pre_commit), "try-repo", str(REPO), "model-metadata", "--verbose", "--all-files"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = done.stdout + done.stderr

    assert done.returncode == 1, output
    assert "Failed" in output, output
    location = "models/churn/metadata.json:4:22: MC102 "
    assert f'{location}`parameter_count` must be a whole number, not "1.2M"' in output, output
    # The good file was checked (2 files: package.json is outside the default pattern)
    # and has no finding.
    assert "Found 1 error in 1 of 2 files." in output, output
    assert "churn_v1.model.json:" not in output, output
    assert "package.json" not in output, output


def test_the_documented_commit_output_names_the_published_repo_not_a_local_path() -> None:
    docs = (REPO / "docs" / "pre-commit.md").read_text(encoding="utf-8")
    [repo] = re.findall(r"- repo: (\S+)", docs)
    announced = re.findall(r"\[INFO\] \w+ environment for (.+)\.$", docs, flags=re.MULTILINE)
    assert announced, "the sample output shows the first run, environment set-up included"
    assert set(announced) == {repo}
