"""The library's seated reach task with fewer targets, as a therapist's own definition
(a `COACH_EXERCISES_DIR` folder): a live test that runs a schedule to its end waits for 4
targets instead of 12. The same seed draws the same first targets (scoring.targets
draws them in order), so at the library's levels the short schedule is the start of the
library task's. One level more, `WIDE`: wide targets right on the path of a straight arm
raised sideways (the arm clip's), touched even when a loaded server sees only a few frames a
second (at level 3 a browser run at 6-7 frames a second touched 3 of 12, or none of 4)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from exercises.loader import LIBRARY_DIR, USER_DIR_ENV

LIBRARY_TASK = "targets_reach_seated"
SHORT_TASK = "targets_reach_short"
PER_HAND = 2  # targets a hand: 4 in all, left and right in turn
WIDE = 4  # the added level
WIDE_LEVEL = f"""
[[targets.levels]]
level = {WIDE}
radius = 0.2
distance = 0.95
"""


def write_short_task(folder: Path, per_hand: int = PER_HAND) -> Path:
    """The library task's file with another id, `per_hand` targets a hand and the `WIDE`
    level, in `folder`."""
    text = (LIBRARY_DIR / f"{LIBRARY_TASK}.toml").read_text()
    for pattern, new in (
        (rf'^id = "{LIBRARY_TASK}"$', f'id = "{SHORT_TASK}"'),
        (r'^name = "(.*)"$', r'name = "\1, short"'),
        (r"^count = \d+$", f"count = {per_hand}"),
    ):
        text, n = re.subn(pattern, new, text, count=1, flags=re.MULTILINE)
        assert n == 1, f"{LIBRARY_TASK}.toml has no line {pattern!r}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{SHORT_TASK}.toml"
    path.write_text(text + WIDE_LEVEL)
    return path


@contextmanager
def short_task(folder: Path, per_hand: int = PER_HAND) -> Iterator[str]:
    """The short task in the library of this process (the app in it loads definitions on
    demand) while the block runs; its id."""
    write_short_task(folder, per_hand)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(USER_DIR_ENV, str(folder))
        yield SHORT_TASK
