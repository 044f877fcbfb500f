"""Loading definition files: errors that name the file, the field path and the reason; the
library with a therapist's own folder; looking exercises up by id."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exercises.loader import (
    LIBRARY_DIR,
    USER_DIR_ENV,
    DefinitionError,
    UnknownExercise,
    default_library,
    list_exercises,
    load_definition,
    load_exercise,
    load_file,
    load_library,
    search_dirs,
)
from tests.exercises.definitions import MINIMAL, REQUIRED_IDS, edited, write

SQUAT = (LIBRARY_DIR / "squat.toml").read_text(encoding="utf-8")
WALL_SIT = (LIBRARY_DIR / "wall_sit.toml").read_text(encoding="utf-8")


def refused(path: Path) -> DefinitionError:
    with pytest.raises(DefinitionError) as exc:
        load_file(path)
    err = exc.value
    assert err.path == path
    assert str(path) in str(err)  # the message names the file
    assert err.reason in str(err)
    return err


# --- the built-in library ----------------------------------------------------------------------


def test_every_library_file_loads_without_errors() -> None:
    lib = load_library([LIBRARY_DIR])
    assert lib.errors == []
    assert len(lib.exercises) + len(lib.tasks) == len(list(LIBRARY_DIR.glob("*.toml")))
    assert set(lib.exercises) >= REQUIRED_IDS
    for ex_id, path in lib.sources.items():
        assert path.parent == LIBRARY_DIR
        assert load_definition(path).id == ex_id


def test_load_exercise_and_list_exercises() -> None:
    squat = load_exercise("squat")
    assert squat.id == "squat" and squat.kind == "reps" and squat.rep is not None
    ids = [e.id for e in list_exercises()]
    assert ids == sorted(ids)
    assert set(ids) >= REQUIRED_IDS


def test_unknown_exercise_lists_the_known_ids() -> None:
    with pytest.raises(UnknownExercise) as exc:
        load_exercise("nope")
    err = exc.value
    assert isinstance(err, KeyError)
    assert err.exercise_id == "nope"
    text = str(err)
    assert text.startswith("unknown exercise 'nope'; known: ")
    for ex_id in REQUIRED_IDS:
        assert ex_id in text
    assert err.known == sorted(err.known)


# --- refused definitions: file, field path, reason --------------------------------------------


def test_unknown_measure(tmp_path: Path) -> None:
    path = write(tmp_path, "squat.toml", edited(SQUAT, '"hip_height"', '"hip_hieght"'))
    err = refused(path)
    assert err.field_path == "rep.measure"
    assert f"{path}: rep.measure: unknown measure 'hip_hieght'" in str(err)
    assert "hip_height" in err.reason  # the known measures are listed


def test_unknown_measure_in_a_fault_names_its_index(tmp_path: Path) -> None:
    path = write(tmp_path, "squat.toml", edited(SQUAT, '"trunk_lean_image"', '"trunk_leen"'))
    err = refused(path)
    assert err.field_path == "faults[1].measure"
    assert "faults[1].measure: unknown measure 'trunk_leen'" in str(err)


def test_enter_not_beyond_exit_in_the_movement_direction(tmp_path: Path) -> None:
    # Squats count a decreasing hip height: enter must be below exit.
    path = write(tmp_path, "squat.toml", edited(SQUAT, "enter = 0.8", "enter = 0.95"))
    err = refused(path)
    assert err.field_path == "rep"
    assert "enter (0.95) must be beyond exit (0.9) in the decrease direction" in str(err)


def test_below_not_above_above(tmp_path: Path) -> None:
    path = write(tmp_path, "wall_sit.toml", edited(WALL_SIT, "below = 125", "below = 30"))
    err = refused(path)
    assert err.field_path == "hold.conditions[0]"
    assert "below (30.0) must be greater than above (40.0)" in str(err)


@pytest.mark.parametrize(
    ("old", "where"),
    [('name = "Squat"\n', "name"), ("enter = 0.8\n", "rep.enter"), ('kind = "reps"\n', "kind")],
)
def test_missing_required_fields(tmp_path: Path, old: str, where: str) -> None:
    path = write(tmp_path, "squat.toml", edited(SQUAT, old, ""))
    err = refused(path)
    assert err.field_path == where
    assert f"{path}: {where}: Field required" in str(err)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "squat.toml", edited(SQUAT, 'name = "Squat"', 'name = "Squat'))
    err = refused(path)
    assert "TOML syntax error" in str(err)
    assert "line 2" in str(err)


def test_kind_reps_without_a_rep_table(tmp_path: Path) -> None:
    path = write(tmp_path, "squat.toml", SQUAT.split("[rep]")[0])
    err = refused(path)
    assert "kind 'reps' needs a [rep] table" in str(err)


def test_duplicate_fault_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "squat.toml", edited(SQUAT, 'id = "too_fast"', 'id = "trunk_lean"'))
    err = refused(path)
    assert "duplicate fault ids: trunk_lean" in str(err)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (SQUAT.split("[rep]")[0], "rep"),
        (edited(SQUAT, 'id = "too_fast"', 'id = "trunk_lean"'), "faults"),
    ],
    ids=["no_rep_table", "duplicate_fault_ids"],
)
def test_model_level_errors_name_their_field(tmp_path: Path, text: str, where: str) -> None:
    err = refused(write(tmp_path, "bad.toml", text))
    assert err.field_path.startswith(where)
    assert f": {err.field_path}: " in str(err)


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, "squat.toml", edited(SQUAT, "min_rom = 0.15", "min_rom = 0.15\nspeed = 2")
    )
    err = refused(path)
    assert err.field_path == "rep.speed"
    assert "Extra inputs are not permitted" in err.reason


def test_several_errors_are_summarised(tmp_path: Path) -> None:
    text = edited(edited(SQUAT, 'name = "Squat"\n', ""), 'category = "strength"', 'category = "x"')
    err = refused(write(tmp_path, "squat.toml", text))
    assert err.reason.endswith("(and 1 more)")


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    err = refused(missing)
    assert "cannot read" in err.reason
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b'id = "\xff\xfe"\n')
    assert "not UTF-8" in refused(binary).reason


# --- the library: several folders ------------------------------------------------------------


def test_a_bad_file_does_not_stop_the_rest(tmp_path: Path) -> None:
    write(tmp_path, "a_good.toml", MINIMAL.format(id="knee_bend", name="Knee bend"))
    bad = write(tmp_path, "b_bad.toml", edited(SQUAT, '"hip_height"', '"hip_hieght"'))
    write(tmp_path, "c_good.toml", MINIMAL.format(id="knee_bend_2", name="Knee bend 2"))
    write(tmp_path, "notes.txt", "not a definition")
    lib = load_library([tmp_path])
    assert set(lib.exercises) == {"knee_bend", "knee_bend_2"}
    assert [e.path for e in lib.errors] == [bad]


def test_duplicate_ids_across_two_folders(tmp_path: Path) -> None:
    first = write(tmp_path / "clinic", "knee.toml", MINIMAL.format(id="knee_bend", name="First"))
    second = write(tmp_path / "mine", "knee.toml", MINIMAL.format(id="knee_bend", name="Second"))
    write(tmp_path / "mine", "other.toml", MINIMAL.format(id="other", name="Other"))
    lib = load_library([tmp_path / "clinic", tmp_path / "mine", tmp_path / "absent"])
    assert lib.exercises["knee_bend"].name == "First"  # the first folder wins
    assert lib.sources["knee_bend"] == first
    assert "other" in lib.exercises  # the rest of the second folder still loads
    (err,) = lib.errors
    assert err.path == second and err.field_path == "id"
    assert "duplicate id 'knee_bend'" in str(err) and str(first) in str(err)


def test_a_user_definition_cannot_silently_replace_a_built_in_one(tmp_path: Path) -> None:
    write(tmp_path, "my_squat.toml", MINIMAL.format(id="squat", name="My squat"))
    lib = load_library([LIBRARY_DIR, tmp_path])
    assert lib.exercises["squat"].name == "Squat"
    assert [e.field_path for e in lib.errors] == ["id"]


def test_user_folder_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "therapist"
    write(mine, "knee.toml", MINIMAL.format(id="therapist_knee_bend", name="Knee bend"))
    write(mine, "broken.toml", "id = ")
    monkeypatch.setenv(USER_DIR_ENV, str(mine))
    assert search_dirs() == [LIBRARY_DIR, mine]
    ex = load_exercise("therapist_knee_bend")
    assert ex.name == "Knee bend"
    lib = default_library()
    assert set(lib.exercises) >= REQUIRED_IDS  # the built-in library is still there
    assert [e.path.name for e in lib.errors] == ["broken.toml"]
    assert "therapist_knee_bend" in [e.id for e in list_exercises()]


def test_several_user_folders_separated_by_pathsep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    write(a, "one.toml", MINIMAL.format(id="from_a", name="A"))
    write(b, "two.toml", MINIMAL.format(id="from_b", name="B"))
    monkeypatch.setenv(USER_DIR_ENV, os.pathsep.join([str(a), "", str(b)]))
    assert search_dirs() == [LIBRARY_DIR, a, b]
    assert load_exercise("from_a").name == "A"
    assert load_exercise("from_b").name == "B"


def test_without_the_variable_only_the_built_in_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(USER_DIR_ENV, raising=False)
    assert search_dirs() == [LIBRARY_DIR]
    with pytest.raises(UnknownExercise):
        load_exercise("therapist_knee_bend")


def test_the_library_is_parsed_once_per_search_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(USER_DIR_ENV, str(tmp_path / "first"))
    first = default_library()
    assert default_library() is first
    write(tmp_path / "second", "knee.toml", MINIMAL.format(id="second_only", name="Second"))
    monkeypatch.setenv(USER_DIR_ENV, str(tmp_path / "second"))
    second = default_library()
    assert second is not first
    assert "second_only" in second.exercises and "second_only" not in first.exercises
