"""Verifying a pin against a real git repository: the commit, its reachability, the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.git_repos import Repo

from model_conformance.pins import Pin, PinOutcome, Resolver, Verdict, verify_pins
from model_conformance.violations import Severity

URL = "https://git.example.org/team/train.git"
KEY = "git.example.org/team/train"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A training repository with a published history; the command runs inside it."""
    repo = Repo.init(tmp_path / "train", remote=URL)
    repo.commit(
        {
            "train.py": "print('train')\n",
            "forge/training/train_celltype.py": "",
            "pkg/train.py": "",
            "pkg/serve/__main__.py": "",
            "configs/v1.yaml": "lr: 1\n",
        }
    )
    repo.publish()
    return repo


def verify(repo: Repo, commit: str, entrypoint: str | None, url: str = URL) -> Verdict:
    [verdict] = verify_pins([Pin("model-1", url, commit, entrypoint)], Resolver(repo.path))
    return verdict


def test_a_published_commit_with_its_entrypoint_passes(repo: Repo) -> None:
    verdict = verify(repo, repo.head(), "train.py --config configs/v1.yaml")
    assert (verdict.outcome, verdict.code) == (PinOutcome.PASS, None)
    assert f"commit {repo.head()[:12]} of {KEY} has train.py as a regular file" in verdict.detail


def test_a_commit_the_repository_does_not_have_fails(repo: Repo) -> None:
    verdict = verify(repo, "0123456789abcdef0123456789abcdef01234567", "train.py")
    assert (verdict.outcome, verdict.code) == (PinOutcome.FAIL, "MC801")
    assert "commit 0123456789ab is not in git.example.org/team/train" in verdict.detail


def test_an_abbreviated_sha_is_refused_before_git_is_asked(repo: Repo) -> None:
    verdict = verify(repo, repo.head()[:12], "train.py")
    assert (verdict.outcome, verdict.code) == (PinOutcome.FAIL, "MC402")


def test_an_upper_case_sha_is_the_same_commit(repo: Repo) -> None:
    assert verify(repo, repo.head().upper(), "train.py").outcome is PinOutcome.PASS


@pytest.mark.parametrize("kind", ["tree", "blob"])
def test_a_tree_or_blob_id_is_not_a_commit(repo: Repo, kind: str) -> None:
    oid = repo.git("rev-parse", "HEAD^{tree}" if kind == "tree" else "HEAD:train.py")
    verdict = verify(repo, oid, "train.py")
    assert (verdict.outcome, verdict.code) == (PinOutcome.FAIL, "MC802")
    assert f"is a {kind} in {KEY}, not a commit" in verdict.detail


def test_an_annotated_tag_id_is_not_the_commit_it_tags(repo: Repo) -> None:
    repo.git("tag", "-a", "v1", "-m", "release")
    verdict = verify(repo, repo.git("rev-parse", "v1"), "train.py")
    assert (verdict.outcome, verdict.code) == (PinOutcome.FAIL, "MC802")


def test_a_commit_on_no_published_branch_or_tag_is_an_unreachable_warning(repo: Repo) -> None:
    local_only = repo.commit({"train.py": "print('v2')\n"})  # committed, never pushed
    verdict = verify(repo, local_only, "train.py")
    assert (verdict.outcome, verdict.code) == (PinOutcome.UNREACHABLE, "MC803")
    assert "never pushed" in verdict.detail
    assert verdict.severity() is Severity.WARNING
    assert verdict.severity(strict=True) is Severity.ERROR


def test_a_commit_left_behind_by_a_force_push_is_unreachable(repo: Repo, tmp_path: Path) -> None:
    before = repo.head()
    repo.git("checkout", "-q", "--orphan", "rewrite")
    after = repo.commit({"train.py": ""}, message="rewritten history")
    repo.git("update-ref", "refs/remotes/origin/main", after)
    repo.git("branch", "-q", "-D", "main")
    assert verify(repo, before, "train.py").outcome is PinOutcome.UNREACHABLE
    assert verify(repo, after, "train.py").outcome is PinOutcome.PASS


def test_a_tag_alone_keeps_a_commit_reachable(repo: Repo) -> None:
    tagged = repo.commit({"train.py": "v3"})
    repo.git("tag", "v3")
    assert verify(repo, tagged, "train.py").outcome is PinOutcome.PASS


def test_an_entrypoint_missing_from_the_commit_fails(repo: Repo) -> None:
    verdict = verify(repo, repo.head(), "python evaluate.py")
    assert (verdict.outcome, verdict.code) == (PinOutcome.FAIL, "MC804")
    assert verdict.detail == f"{KEY} at {repo.head()[:12]}: evaluate.py is not in the commit"


def test_an_entrypoint_that_is_a_directory_fails(repo: Repo) -> None:
    verdict = verify(repo, repo.head(), "forge/training/")
    assert (verdict.outcome, verdict.code) == (PinOutcome.FAIL, "MC805")
    assert "forge/training is a directory, not a file" in verdict.detail


def test_a_symlink_out_of_the_tree_fails(repo: Repo) -> None:
    commit = repo.commit(links={"run.py": "../../../etc/passwd"})
    repo.publish()
    verdict = verify(repo, commit, "python run.py")
    assert (verdict.outcome, verdict.code) == (PinOutcome.FAIL, "MC806")
    assert "outside the repository's tree" in verdict.detail


def test_an_absolute_symlink_fails(repo: Repo) -> None:
    commit = repo.commit(links={"run.py": "/etc/passwd"})
    repo.publish()
    assert verify(repo, commit, "run.py").code == "MC806"


def test_a_symlink_to_a_file_in_the_tree_passes(repo: Repo) -> None:
    commit = repo.commit(links={"bin/run.py": "../forge/training/train_celltype.py"})
    repo.publish()
    assert verify(repo, commit, "bin/run.py").outcome is PinOutcome.PASS


def test_a_symlink_to_a_missing_file_fails(repo: Repo) -> None:
    commit = repo.commit(links={"run.py": "gone.py"})
    repo.publish()
    verdict = verify(repo, commit, "run.py")
    assert verdict.code == "MC804"
    assert "run.py is a symlink to gone.py: gone.py is not in the commit" in verdict.detail


def test_an_entrypoint_renamed_later_still_passes_at_its_own_commit(repo: Repo) -> None:
    pinned = repo.head()
    repo.git("mv", "train.py", "train_v2.py")
    renamed = repo.commit()
    repo.publish()
    assert verify(repo, pinned, "train.py").outcome is PinOutcome.PASS
    assert verify(repo, renamed, "train.py").code == "MC804"


def test_a_module_resolves_to_its_file(repo: Repo) -> None:
    verdict = verify(repo, repo.head(), "python -m pkg.train --epochs 3")
    assert verdict.outcome is PinOutcome.PASS
    assert "pkg/train.py" in verdict.detail


def test_a_package_module_resolves_to_its_main(repo: Repo) -> None:
    verdict = verify(repo, repo.head(), "python3 -m pkg.serve")
    assert verdict.outcome is PinOutcome.PASS
    assert "pkg/serve/__main__.py" in verdict.detail


def test_a_missing_module_names_both_candidates(repo: Repo) -> None:
    verdict = verify(repo, repo.head(), "python -m pkg.gone")
    assert verdict.code == "MC804"
    assert "neither pkg/gone.py nor pkg/gone/__main__.py is in the commit" in verdict.detail


def test_a_pin_without_an_entrypoint_checks_the_commit_only(repo: Repo) -> None:
    verdict = verify(repo, repo.head(), None)
    assert verdict.outcome is PinOutcome.PASS
    assert verdict.detail == (
        f"commit {repo.head()[:12]} of {KEY} exists and is on a branch of its remote or a tag"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://git.example.org/team/train",
        "https://GIT.example.org/team/train.git/",
        "http://git.example.org/team/train",
        "ssh://git@git.example.org/team/train.git",
        "git@git.example.org:team/train.git",
        "git@git.example.org:team/train",
    ],
)
def test_every_url_form_of_the_remote_finds_the_repository(repo: Repo, url: str) -> None:
    assert verify(repo, repo.head(), "train.py", url=url).outcome is PinOutcome.PASS


def test_an_ssh_remote_matches_an_https_pin(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "ssh", remote="git@git.example.org:team/train.git")
    commit = repo.commit({"train.py": ""})
    repo.publish()
    assert verify(repo, commit, "train.py").outcome is PinOutcome.PASS


def test_a_repository_with_no_local_copy_is_unverifiable_never_a_pass(repo: Repo) -> None:
    verdict = verify(repo, repo.head(), "train.py", url="https://github.com/other/project")
    assert (verdict.outcome, verdict.code) == (PinOutcome.UNVERIFIABLE, "MC808")
    assert "no local copy of github.com/other/project" in verdict.detail
    assert verdict.severity() is Severity.WARNING


def test_outside_any_repository_every_pin_is_unverifiable(tmp_path: Path) -> None:
    [verdict] = verify_pins([Pin("m", URL, "a" * 40, "train.py")], Resolver(tmp_path))
    assert verdict.outcome is PinOutcome.UNVERIFIABLE


def test_many_pins_keep_their_order_and_each_gets_its_own_verdict(repo: Repo) -> None:
    head = repo.head()
    pins = [
        Pin("a", URL, head, "train.py"),
        Pin("b", URL, "f" * 40, "train.py"),
        Pin("c", "https://elsewhere.org/x/y", head, "train.py"),
        Pin("d", URL, head, "nope.py"),
        Pin("e", URL, head[:7], "train.py"),
        Pin("f", URL, head, "train.py"),
    ]
    verdicts = verify_pins(pins, Resolver(repo.path))
    assert [(v.pin.subject, v.code) for v in verdicts] == [
        ("a", None),
        ("b", "MC801"),
        ("c", "MC808"),
        ("d", "MC804"),
        ("e", "MC402"),
        ("f", None),
    ]
