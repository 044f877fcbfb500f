"""Bad input in a therapist's folder: each bad definition is refused at load with the file, the
field and the reason, and every other definition still loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises.loader import (
    LIBRARY_DIR,
    DefinitionError,
    load_definition,
    load_library,
)
from scoring.definition import definition_json_schema
from tests.exercises.definitions import MINIMAL, edited, write

GOOD = {"a_knee.toml": ("knee_bend", "Knee bend"), "z_knee.toml": ("knee_bend_2", "Knee bend 2")}
WALL_SIT = (LIBRARY_DIR / "wall_sit.toml").read_text(encoding="utf-8")
HIP = (LIBRARY_DIR / "standing_hip_abduction_left.toml").read_text(encoding="utf-8")


def folder_with(tmp_path: Path, name: str, text: str) -> tuple[Path, Path]:
    """Two good definitions and one more file; returns (folder, that file)."""
    folder = tmp_path / "mine"
    for file, (ex_id, title) in GOOD.items():
        write(folder, file, MINIMAL.format(id=ex_id, name=title))
    return folder, write(folder, name, text)


def only_error(folder: Path, bad: Path) -> DefinitionError:
    lib = load_library([folder])
    assert {"knee_bend", "knee_bend_2"} <= set(lib.exercises)  # the rest still loads
    (err,) = lib.errors
    assert err.path == bad and str(bad) in str(err)
    assert err.field_path and f"{bad}: {err.field_path}: {err.reason}" == str(err)
    return err


def test_unknown_measure(tmp_path: Path) -> None:
    text = edited(HIP, 'measure = "hip_abduction"', 'measure = "hip_abdukshun"')
    err = only_error(*folder_with(tmp_path, "hip.toml", text))
    assert err.field_path == "rep.measure"
    assert err.reason.startswith("unknown measure 'hip_abdukshun'; known: ")
    assert "hip_abduction" in err.reason


def test_upper_threshold_below_the_lower_one(tmp_path: Path) -> None:
    text = edited(WALL_SIT, "below = 125", "below = 20")
    err = only_error(*folder_with(tmp_path, "wall.toml", text))
    assert err.field_path == "hold.conditions[0]"
    assert err.reason == "below (20.0) must be greater than above (40.0)"


def test_rep_thresholds_the_wrong_way_round(tmp_path: Path) -> None:
    # Enter below exit for an increasing movement: the hysteresis band is upside down.
    text = edited(HIP, "enter = 15", "enter = 5")
    err = only_error(*folder_with(tmp_path, "hip.toml", text))
    assert err.field_path == "rep"
    assert "enter (5.0) must be beyond exit (7.0) in the increase direction" in err.reason


def test_missing_view(tmp_path: Path) -> None:
    text = edited(HIP, 'view = "front"\n', "")
    err = only_error(*folder_with(tmp_path, "hip.toml", text))
    assert err.field_path == "view"
    assert err.reason.startswith("Field required")
    assert "'front', 'side' or 'any'" in err.reason


def test_unknown_view(tmp_path: Path) -> None:
    err = only_error(*folder_with(tmp_path, "hip.toml", edited(HIP, '"front"', '"above"')))
    assert err.field_path == "view"


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    folder, bad = folder_with(tmp_path, "b_knee.toml", MINIMAL.format(id="knee_bend", name="Dup"))
    err = only_error(folder, bad)
    assert err.field_path == "id"
    assert err.reason == f"duplicate id 'knee_bend' (also in {folder / 'a_knee.toml'})"
    assert load_library([folder]).exercises["knee_bend"].name == "Knee bend"  # first file wins


def test_duplicate_of_a_built_in_id(tmp_path: Path) -> None:
    folder, bad = folder_with(tmp_path, "mine.toml", MINIMAL.format(id="marching", name="Mine"))
    lib = load_library([LIBRARY_DIR, folder])
    (err,) = lib.errors
    assert err.path == bad and err.field_path == "id"
    assert lib.exercises["marching"].name == "Marching on the spot"
    assert {"knee_bend", "knee_bend_2", "squat"} <= set(lib.exercises)


@pytest.mark.parametrize(
    ("old", "new", "field", "line"),
    [
        ('name = "Standing hip', 'name = "Standing hip"" ', "name", 2),
        ("target = 30\n", "target = \n", "rep.target", 0),
        ("[rep]\n", "[rep\n", "rep", 0),
        ('cue = "Keep your left knee straight"', "cue = Keep straight", "faults[1].cue", 0),
    ],
    ids=["top_level_key", "table_key", "table_header", "array_of_tables_key"],
)
def test_toml_syntax_error(tmp_path: Path, old: str, new: str, field: str, line: int) -> None:
    err = only_error(*folder_with(tmp_path, "hip.toml", edited(HIP, old, new)))
    assert err.field_path == field
    assert err.reason.startswith("TOML syntax error: ")
    if line:
        assert f"line {line}" in err.reason


def test_unknown_joint_name_in_a_fault(tmp_path: Path) -> None:
    text = edited(HIP, 'joints = ["left_knee"]', 'joints = ["left_kneee"]')
    err = only_error(*folder_with(tmp_path, "hip.toml", text))
    assert err.field_path == "faults[1].joints"
    assert err.reason.startswith("unknown landmark 'left_kneee'; known: ")


def test_every_library_file_states_its_view() -> None:
    for path in sorted(LIBRARY_DIR.glob("*.toml")):
        assert load_definition(path).id  # would raise on a missing view
        text = path.read_text(encoding="utf-8")
        assert "\nview = " in text or "\nviews = " in text, path.name


def test_json_schema_requires_the_view() -> None:
    schema = definition_json_schema()
    assert {"id", "name", "kind", "category", "instructions"} <= set(schema["required"])
    # One of `view` and `views` (the file loader refuses a file with neither).
    assert schema["allOf"] == [{"anyOf": [{"required": ["view"]}, {"required": ["views"]}]}]
    assert schema["properties"]["view"]["enum"] == ["front", "side", "any"]
    views = schema["properties"]["views"]
    assert views["type"] == "array" and views["items"]["enum"] == ["front", "side", "any"]


def test_a_front_only_measure_counted_from_the_side(tmp_path: Path) -> None:
    # Hip abduction is an image-plane angle of the frontal plane: a side view cannot see it.
    err = only_error(*folder_with(tmp_path, "hip.toml", edited(HIP, '"front"', '"side"')))
    assert err.field_path == "rep"
    assert err.reason == (
        "'hip_abduction' is only measured from the front, but the exercise's view is 'side': "
        'set view = "front"'
    )


def test_a_side_only_measure_held_from_the_front(tmp_path: Path) -> None:
    posture = (LIBRARY_DIR / "posture_hold.toml").read_text(encoding="utf-8")
    text = edited(posture, 'view = "side"\nbody', 'view = "front"\nbody')
    err = only_error(*folder_with(tmp_path, "posture.toml", text))
    assert err.field_path == "hold"
    assert "'trunk_lean_image' is only measured from the side" in err.reason


def test_a_fault_on_a_front_only_measure_must_declare_the_front_view(tmp_path: Path) -> None:
    mini = (LIBRARY_DIR / "mini_squat.toml").read_text(encoding="utf-8")
    text = edited(mini, 'measure = "knee_valgus"\nside = "each"\nabove = 12\nview = "front"', (
        'measure = "knee_valgus"\nside = "each"\nabove = 12\nview = "any"'
    ))  # fmt: skip
    err = only_error(*folder_with(tmp_path, "mini.toml", text))
    assert err.field_path == "faults"
    assert err.reason == (
        "fault 'knee_valgus': 'knee_valgus' is only measured from the front: "
        'set its view = "front"'
    )
