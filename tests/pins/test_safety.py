"""Nothing in a pin or in a repository's configuration can steer git or run a command."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.support.git_repos import ENV, Repo

from model_conformance.pins import Pin, PinOutcome, Resolver, verify_pins
from model_conformance.pins.errors import RepositoryNotOwned, RepositoryUnreadable
from model_conformance.pins.git import GitRepository

URL = "https://git.example.org/team/train.git"

HOSTILE = [
    "--upload-pack=touch pwned",
    "-oProxyCommand=touch pwned",
    "train/../../etc/passwd",
    "train\x00.py",
    "train.py\ninfo HEAD",
    "train.py\rflush",
]


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo.init(tmp_path / "train", remote=URL)
    repo.commit({"train.py": ""})
    repo.publish()
    return repo


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["repo_url", "commit", "entrypoint"])
def test_a_hostile_value_in_any_field_is_refused_with_a_code(
    repo: Repo, field: str, value: str
) -> None:
    values = {"repo_url": URL, "commit": repo.head(), "entrypoint": "train.py"}
    values[field] = value
    [verdict] = verify_pins([Pin("m", **values)], Resolver(repo.path))
    assert verdict.outcome is PinOutcome.FAIL
    assert verdict.code == "MC809"
    assert "is refused" in verdict.detail
    assert not list(repo.path.parent.rglob("pwned"))


def test_a_file_argument_that_looks_like_an_option_is_only_ever_a_path(repo: Repo) -> None:
    # `python --version.py`-style words are options and skipped; a path word is never an
    # argument to git, only a `<sha>:<path>` request on cat-file's stdin.
    commit = repo.commit({"-x/train.py": ""})
    repo.publish()
    [verdict] = verify_pins([Pin("m", URL, commit, "python ./-x/train.py")], Resolver(repo.path))
    assert verdict.outcome is PinOutcome.PASS


def _arm(repo: Repo, marker: Path) -> None:
    """Configure every command a repository can name: fsmonitor, hooks, filters, textconv,
    a pager. Any of them running creates `marker`."""
    script = repo.path.parent / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    script.chmod(0o755)
    hooks = repo.path / ".git" / "hooks"
    for hook in ("reference-transaction", "post-checkout", "pre-auto-gc"):
        shutil.copy(script, hooks / hook)
    repo.git("config", "core.fsmonitor", str(script))
    repo.git("config", "filter.evil.smudge", str(script))
    repo.git("config", "filter.evil.clean", str(script))
    repo.git("config", "filter.evil.process", str(script))
    repo.git("config", "diff.evil.textconv", str(script))
    repo.git("config", "core.pager", str(script))
    (repo.path / ".git" / "info" / "attributes").write_text("* filter=evil diff=evil\n")


def test_a_repository_configured_to_run_commands_runs_none_of_them(
    repo: Repo, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    _arm(repo, marker)
    pins = [
        Pin("a", URL, repo.head(), "train.py"),
        Pin("b", URL, repo.head(), "missing.py"),
        Pin("c", URL, "0" * 40, "train.py"),
    ]
    verdicts = verify_pins(pins, Resolver(repo.path))
    assert [v.code for v in verdicts] == [None, "MC804", "MC801"]
    assert not marker.exists()
    # The trap is armed: an ordinary git command in the same repository springs it.
    subprocess.run(["git", "status"], cwd=repo.path, env=ENV, capture_output=True, check=False)
    assert marker.exists()


def test_a_mirror_fetch_runs_no_hook_of_the_mirror(repo: Repo, tmp_path: Path) -> None:
    mirror = repo.mirror_into(tmp_path / "mirrors", "git.example.org/team/train")
    marker = tmp_path / "marker"
    script = tmp_path / "hook.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    shutil.copy(script, mirror.path / "hooks" / "reference-transaction")
    new = repo.commit({"train.py": "v2"})
    resolver = Resolver(tmp_path, mirrors=tmp_path / "mirrors", fetch=True)
    [verdict] = verify_pins([Pin("m", URL, new, "train.py")], resolver)
    assert verdict.outcome is PinOutcome.PASS  # fetched
    assert not marker.exists()


def _git(path: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=path, env=ENV, check=True, capture_output=True)


def test_a_partial_clone_never_fetches_a_missing_object_nor_runs_its_upload_pack(
    repo: Repo, tmp_path: Path
) -> None:
    mirror = repo.mirror_into(tmp_path / "mirrors", "git.example.org/team/train")
    marker = tmp_path / "marker"
    # A promisor remote: git would fetch any missing object from it, running its uploadpack.
    _git(mirror.path, "config", "core.repositoryformatversion", "1")
    _git(mirror.path, "config", "extensions.partialClone", "origin")
    _git(mirror.path, "config", "remote.origin.promisor", "true")
    _git(mirror.path, "config", "remote.origin.url", str(repo.path))
    _git(mirror.path, "config", "remote.origin.uploadpack", f"touch {marker}; git-upload-pack")
    resolver = Resolver(tmp_path, mirrors=tmp_path / "mirrors")
    [verdict] = verify_pins([Pin("m", URL, "1" * 40, "train.py")], resolver)
    assert verdict.code == "MC801"  # missing, and looked for nowhere else
    assert not marker.exists()
    # With --fetch, git's own upload-pack runs, never the one the mirror configures.
    fetched = Resolver(tmp_path, mirrors=tmp_path / "mirrors", fetch=True)
    verify_pins([Pin("m", URL, repo.head(), "train.py")], fetched)
    assert not marker.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="handing a folder to another user needs root")
def test_a_repository_owned_by_another_user_is_refused_in_our_words(repo: Repo) -> None:
    head = repo.head()
    subprocess.run(["chown", "-R", "65534:65534", str(repo.path)], check=True)
    with pytest.raises(RepositoryNotOwned, match="owned by another user") as caught:
        verify_pins([Pin("m", URL, head, "train.py")], Resolver(repo.path))
    assert "safe.directory" not in str(caught.value)
    assert "dubious" not in str(caught.value)
    assert caught.value.code == "MC810"


def test_a_configured_path_that_is_not_a_repository_is_one_sentence(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    resolver = Resolver(tmp_path / "nowhere", configured={"git.example.org/team/train": plain})
    with pytest.raises(RepositoryUnreadable, match="is not a git repository") as caught:
        verify_pins([Pin("m", URL, "a" * 40, "train.py")], resolver)
    assert caught.value.code == "MC811"
    assert "fatal" not in str(caught.value)


def test_git_environment_variables_of_the_caller_do_not_redirect_git(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = Repo.init(tmp_path / "other")
    other.commit({"elsewhere.py": ""})
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(other.path / ".git" / "objects"))
    [verdict] = verify_pins([Pin("m", URL, repo.head(), "train.py")], Resolver(repo.path))
    assert verdict.outcome is PinOutcome.PASS


def test_a_batch_git_does_not_answer_in_time_is_killed_and_reported(repo: Repo) -> None:
    repository = GitRepository.open(repo.path, "slow")
    repository.timeout = 0.001  # far less than 200,000 look-ups take
    names = [f"{i:040x}" for i in range(200_000)]
    with (
        repository.reader() as reader,
        pytest.raises(RepositoryUnreadable, match=r"stopped answering .* at most 0.001 s"),
    ):
        reader.info(names)
    assert reader._process.poll() is not None  # killed, not left running


def test_a_pin_url_with_a_password_is_refused_and_never_printed(repo: Repo) -> None:
    url = "https://alice:S3CRETPW@git.example.org/team/train.git"
    [verdict] = verify_pins([Pin("s", url, repo.head(), "train.py")], Resolver(repo.path))
    assert verdict.code == "MC403"
    assert "S3CRETPW" not in verdict.detail
    assert "password or token" in verdict.detail
