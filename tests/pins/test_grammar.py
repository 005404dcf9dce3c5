"""Which file an entrypoint names, and which URLs name one repository (no git involved)."""

from __future__ import annotations

import pytest

from model_conformance.pins.entrypoint import UnparsableEntrypoint, entrypoint_file
from model_conformance.pins.urls import UnusableUrl, repository_key


@pytest.mark.parametrize(
    ("entrypoint", "files"),
    [
        ("train.py", ("train.py",)),
        ("train.py --config configs/v1.yaml", ("train.py",)),
        ("forge/training/train_celltype.py", ("forge/training/train_celltype.py",)),
        ("./scripts/train.sh", ("scripts/train.sh",)),
        ("python train.py", ("train.py",)),
        ("python3 -u src/train.py --epochs 3", ("src/train.py",)),
        ("python3.11 -W ignore train.py", ("train.py",)),
        ("/usr/bin/env python3 train.py", ("train.py",)),
        ("bash run.sh", ("run.sh",)),
        ("Rscript analysis/fit.R", ("analysis/fit.R",)),
        ("CUDA_VISIBLE_DEVICES=0 python train.py", ("train.py",)),
        ("torchrun --nproc_per_node 4 train.py", ("train.py",)),
        ("accelerate launch scripts/finetune.py", ("scripts/finetune.py",)),
        ("python 'my scripts/train.py'", ("my scripts/train.py",)),
        ("python -m pkg.train", ("pkg/train.py", "pkg/train/__main__.py")),
        ("python -mpkg.train --x 1", ("pkg/train.py", "pkg/train/__main__.py")),
        ("python3 -u -m trainer", ("trainer.py", "trainer/__main__.py")),
    ],
)
def test_the_file_is_the_first_path_like_word(entrypoint: str, files: tuple[str, ...]) -> None:
    assert entrypoint_file(entrypoint).candidates == files


@pytest.mark.parametrize(
    ("entrypoint", "why"),
    [
        ("make train", "no word is a path"),
        ("python -c 'import x'", "inline code"),
        ("python -m", "dotted module name"),
        ("python -m 'pkg/train'", "dotted module name"),
        ("python 'unbalanced", "cannot be split"),
        ("/opt/train.py", "absolute path"),
        ("", "no word is a path"),
    ],
)
def test_an_entrypoint_that_names_no_file_says_why(entrypoint: str, why: str) -> None:
    with pytest.raises(UnparsableEntrypoint, match=why):
        entrypoint_file(entrypoint)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/Org/Repo",
        "https://github.com/Org/Repo.git",
        "https://GitHub.COM/Org/Repo/",
        "https://github.com:443/Org/Repo.git",
        "http://github.com/Org/Repo",
        "ssh://git@github.com/Org/Repo.git",
        "ssh://git@github.com:22/Org/Repo",
        "git@github.com:Org/Repo.git",
        "git@github.com:Org/Repo",
        "github.com:Org/Repo.git",
    ],
)
def test_url_forms_of_one_repository_share_one_key(url: str) -> None:
    assert repository_key(url) == "github.com/Org/Repo"


def test_the_path_keeps_its_case_and_subgroups() -> None:
    assert repository_key("https://gitlab.com/a/b/C.git") == "gitlab.com/a/b/C"
    assert repository_key("https://git.example.org/models.git") == "git.example.org/models"
    assert repository_key("https://github.com/org/repo") != repository_key(
        "https://github.com/Org/Repo"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/",
        "ftp://github.com/a/b",
        "https://github.com/a/b?x=1",
        "https://github.com/a/%2e%2e",
        "https://github.com/a/.hidden",
        "file:///srv/git/a/b",
        "not a url",
    ],
)
def test_a_url_without_a_plain_host_owner_repo_has_no_key(url: str) -> None:
    with pytest.raises(UnusableUrl):
        repository_key(url)


@pytest.mark.parametrize(
    "url",
    ["https://user:secret@github.com/Org/Repo.git", "https://token@github.com/Org/Repo"],
)
def test_a_url_with_a_password_or_token_has_no_key(url: str) -> None:
    with pytest.raises(UnusableUrl, match="password or token") as caught:
        repository_key(url)
    assert "secret" not in str(caught.value)
