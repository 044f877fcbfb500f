"""Hand-eye `targets` tasks are data: the library's three load, and a bad task file is refused
with its file, field and reason while the rest of the library still loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises.loader import LIBRARY_DIR, DefinitionError, load_definition, load_file, load_library

REACH = (LIBRARY_DIR / "targets_reach_seated.toml").read_text(encoding="utf-8")


def test_library_has_three_target_tasks() -> None:
    lib = load_library([LIBRARY_DIR])
    assert not lib.errors
    assert {"targets_reach_seated", "targets_cross_body", "targets_follow"} <= set(lib.tasks)
    assert not set(lib.tasks) & set(lib.exercises)  # tasks never reach exercise consumers
    layouts = {t.targets.layout for t in lib.tasks.values()}
    assert layouts == {"reach", "cross_body", "follow"}
    for task in lib.tasks.values():
        assert [lv.level for lv in task.targets.levels] == [1, 2, 3]
        radii = [lv.radius for lv in task.targets.levels]
        assert radii == sorted(radii, reverse=True)  # harder levels: smaller targets


def _bad(tmp_path: Path, old: str, new: str) -> DefinitionError:
    path = tmp_path / "task.toml"
    text = REACH.replace(old, new, 1)
    assert text != REACH
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    assert str(path) in str(info.value)
    return info.value


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        ("distance = 0.5", "distance = 0.5\nspeed = 0.2", "targets.levels", "follow tasks only"),
        ("level = 2", "level = 3", "targets.levels", "numbered 1, 2, 3"),
        ("radius = 0.25", "radius = 0.9", "targets.levels[0].radius", "less than or equal"),
        ("angle_max = 60", "angle_max = -30", "targets", "angle_max"),
        ('layout = "reach"', 'layout = "zigzag"', "targets.layout", "'reach'"),
    ],
)
def test_bad_task_names_field_and_reason(
    tmp_path: Path, old: str, new: str, field: str, reason: str
) -> None:
    err = _bad(tmp_path, old, new)
    assert err.field_path == field
    assert reason in err.reason


def test_a_task_is_not_an_exercise(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="targets task"):
        load_file(LIBRARY_DIR / "targets_follow.toml")


def test_bad_task_beside_good_ones(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(REACH, encoding="utf-8")
    (tmp_path / "b.toml").write_text(REACH.replace("count = 6", "count = 0"), encoding="utf-8")
    lib = load_library([tmp_path])
    assert list(lib.tasks) == ["targets_reach_seated"]
    (err,) = lib.errors
    assert err.field_path == "targets.count"
