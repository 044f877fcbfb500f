"""Loads the reference (normative) values of the clinical tests: exercises/norms/*.toml.

Each file is one protocol's table with its source citation; the scoring core gets them as
typed scoring.protocols.Norms objects and never reads files itself.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from scoring.protocols.norms import Norms, norms_from_dict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

NORMS_DIR = Path(__file__).resolve().parent / "norms"


class UnknownNorms(KeyError):
    def __str__(self) -> str:
        known = ", ".join(norm_ids())
        return f"no reference values for {self.args[0]!r}; known: {known}"


def norm_ids() -> list[str]:
    return sorted(p.stem for p in NORMS_DIR.glob("*.toml"))


def load_norms_file(path: str | Path) -> Norms:
    """Parse one norms file; ValueError names the file and the problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return norms_from_dict(data)
    except (OSError, tomllib.TOMLDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None


@cache
def load_norms(protocol: str) -> Norms:
    """The reference values of one protocol by id (the file name without .toml)."""
    path = NORMS_DIR / f"{protocol}.toml"
    if not path.is_file():
        raise UnknownNorms(protocol)
    return load_norms_file(path)
