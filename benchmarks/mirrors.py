"""A file of a public repository at an exact commit, from a local bare mirror (the `fetch`
tool's `DIR/<owner>+<name>/repo`), for the fetch scripts of third-party benchmark inputs."""

from __future__ import annotations

import subprocess
from pathlib import Path


def mirror_blob(mirrors: Path, repo: str, commit: str, path: str) -> bytes:
    """The file's bytes (`git show commit:path`); CalledProcessError if the mirror lacks it."""
    git_dir = mirrors / repo.replace("/", "+") / "repo"
    if (git_dir / ".git").is_dir():
        git_dir = git_dir / ".git"
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
    ).stdout
