"""Where a repository's local copy comes from: the working repository, the configuration,
the mirrors folder; and nothing is fetched unless asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.git_repos import Repo

from model_conformance.pins import Pin, PinOutcome, Resolver, verify_pins
from model_conformance.pins.errors import FetchFailed, PinSettingsInvalid
from model_conformance.pins.resolve import configured_repositories

URL = "https://git.example.org/team/train.git"
KEY = "git.example.org/team/train"


@pytest.fixture
def upstream(tmp_path: Path) -> Repo:
    repo = Repo.init(tmp_path / "upstream")
    repo.commit({"train.py": ""})
    return repo


def one(resolver: Resolver, commit: str) -> PinOutcome:
    [verdict] = verify_pins([Pin("m", URL, commit, "train.py")], resolver)
    return verdict.outcome


def test_a_mirror_is_found_at_host_owner_repo_dot_git(upstream: Repo, tmp_path: Path) -> None:
    upstream.mirror_into(tmp_path / "mirrors", KEY)
    resolver = Resolver(tmp_path, mirrors=tmp_path / "mirrors")
    assert resolver.locate(KEY) is not None
    assert one(resolver, upstream.head()) is PinOutcome.PASS


def test_without_fetch_a_stale_mirror_does_not_know_new_commits(
    upstream: Repo, tmp_path: Path
) -> None:
    upstream.mirror_into(tmp_path / "mirrors", KEY)
    new = upstream.commit({"train.py": "v2"})
    assert one(Resolver(tmp_path, mirrors=tmp_path / "mirrors"), new) is PinOutcome.FAIL
    fetched = Resolver(tmp_path, mirrors=tmp_path / "mirrors", fetch=True)
    assert one(fetched, new) is PinOutcome.PASS


def test_a_failing_fetch_is_one_sentence_with_a_code(upstream: Repo, tmp_path: Path) -> None:
    mirror = upstream.mirror_into(tmp_path / "mirrors", KEY)
    mirror.git("remote", "set-url", "origin", (tmp_path / "gone").as_uri())
    resolver = Resolver(tmp_path, mirrors=tmp_path / "mirrors", fetch=True)
    with pytest.raises(FetchFailed, match=r"`git fetch` in the mirror .* failed"):
        one(resolver, upstream.head())


def test_a_mirror_folder_without_the_repository_leaves_it_unverifiable(tmp_path: Path) -> None:
    (tmp_path / "mirrors").mkdir()
    resolver = Resolver(tmp_path, mirrors=tmp_path / "mirrors")
    assert one(resolver, "a" * 40) is PinOutcome.UNVERIFIABLE


def test_the_pyproject_maps_urls_to_local_paths(upstream: Repo, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        "[tool.model_conformance.repositories]\n"
        '"git@git.example.org:team/train.git" = "../upstream"\n'
    )
    configured = configured_repositories(project)
    assert configured == {KEY: upstream.path.resolve()}
    assert one(Resolver(project, configured), upstream.head()) is PinOutcome.PASS


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('repositories = "x"', "must be a table"),
        ('[tool.model_conformance.repositories]\n"https://h/a/b" = 3', "must map to a path"),
        ('[tool.model_conformance.repositories]\n"https://h/" = "x"', "cannot be used"),
        (
            '[tool.model_conformance.repositories]\n"https://h/a/b" = "x"\n"git@h:a/b" = "y"',
            "two URLs name the repository h/a/b",
        ),
    ],
)
def test_unusable_repository_settings_are_refused(tmp_path: Path, table: str, message: str) -> None:
    header = "" if table.startswith("[") else "[tool.model_conformance]\n"
    (tmp_path / "pyproject.toml").write_text(header + table + "\n")
    with pytest.raises(PinSettingsInvalid, match=message):
        configured_repositories(tmp_path)


def test_a_configured_path_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    resolver = Resolver(tmp_path, {KEY: tmp_path / "missing"})
    with pytest.raises(PinSettingsInvalid, match="does not exist"):
        one(resolver, "a" * 40)


def test_the_working_repository_comes_before_configuration_and_mirrors(
    upstream: Repo, tmp_path: Path
) -> None:
    work = Repo.init(tmp_path / "work", remote=URL)
    local = work.commit({"train.py": "work"})
    work.publish()
    upstream.mirror_into(tmp_path / "mirrors", KEY)
    resolver = Resolver(work.path, {KEY: upstream.path}, tmp_path / "mirrors")
    located = resolver.locate(KEY)
    assert located is not None
    assert located.source == "working"
    assert one(resolver, local) is PinOutcome.PASS
    assert one(resolver, upstream.head()) is PinOutcome.FAIL  # not in this repository


def test_a_working_repository_whose_remote_differs_is_not_used(
    upstream: Repo, tmp_path: Path
) -> None:
    work = Repo.init(tmp_path / "work", remote="https://git.example.org/team/other.git")
    work.commit({"train.py": ""})
    resolver = Resolver(work.path, {KEY: upstream.path})
    located = resolver.locate(KEY)
    assert located is not None
    assert located.source == "configured"
