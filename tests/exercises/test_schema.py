"""The exercise definition schema: what a definition may say, and the built-in library."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from exercises.loader import LIBRARY_DIR, load_file
from scoring.definition import (
    Condition,
    Exercise,
    FaultRule,
    GenericRule,
    HoldRule,
    RepRule,
)
from scoring.engine import ExerciseEngine
from scoring.measures import frame_names, measure_names
from tests.exercises.definitions import REQUIRED_IDS

# The exercises (hand-eye `targets` tasks have their own tests: test_target_tasks.py).
LIBRARY_FILES = sorted(
    p for p in LIBRARY_DIR.glob("*.toml") if '\nkind = "targets"' not in p.read_text("utf-8")
)


def rep(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"measure": "knee_flexion", "enter": 60, "exit": 30, "target": 90}
    base.update(kw)
    return base


def exercise(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "knee_bend",
        "name": "Knee bend",
        "kind": "reps",
        "category": "strength",
        "instructions": "Bend your knees.",
        "rep": rep(),
    }
    base.update(kw)
    return base


def fault(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "lean",
        "measure": "trunk_lean",
        "above": 20,
        "message": "Leaning",
        "cue": "Stand tall",
    }
    base.update(kw)
    return base


def error_text(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(exc.value)


# --- the library ------------------------------------------------------------------------------


def test_the_library_has_the_required_exercises() -> None:
    ids = {load_file(p).id for p in LIBRARY_FILES}
    assert ids >= REQUIRED_IDS


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.stem)
def test_every_library_definition_validates_and_is_usable(path: Any) -> None:
    ex = load_file(path)
    assert isinstance(ex, Exercise)
    # Every per-frame measure it needs exists, so the engine can compute it.
    needed = ex.measures_needed()
    assert set(needed) <= set(frame_names())
    if ex.kind == "reps":
        assert ex.rep is not None and ex.rep.measure in measure_names()
        assert ex.rep.target != ex.rep.exit
    if ex.kind == "hold":
        assert ex.hold is not None and ex.hold.conditions
    if ex.kind == "any":
        assert ex.generic is not None
    # Each file names its picker group; only the generic "any" sits among the others.
    assert "\narea = " in path.read_text(encoding="utf-8")
    assert (ex.area == "other") == (ex.kind == "any")
    for f in ex.faults:
        assert f.cue and f.message
        if f.kind == "rep_peak_short":
            assert f.below is not None and 0 < f.below <= 1  # a share of the target range
    # A definition that validates runs in the engine (one frame of nobody, one of a pose).
    engine = ExerciseEngine(ex, 16 / 9)
    engine.update(0.0, None)
    lm = np.zeros((33, 4))
    lm[:, :2], lm[:, 3] = 0.5, 1.0
    engine.update(0.04, lm)
    engine.finish()
    assert engine.frames == 2


def test_measures_needed_expands_sides_and_report_variants() -> None:
    squat = load_file(LIBRARY_DIR / "squat.toml")
    # The reported knee flexion is read as its image-plane variant (from the side; not
    # measured elsewhere), never as the 3-D angle no rule of the squat reads.
    assert squat.measures_needed() == [
        "hip_height",
        "knee_flexion_2d_left",
        "knee_flexion_2d_right",
        "knee_valgus_left",
        "knee_valgus_right",
        "trunk_lean_image",
        "trunk_lean_lateral",
    ]
    # What is kept per frame: each measure it names once, the knee as reported.
    assert squat.measures_named() == [
        "hip_height",
        "knee_flexion_left",
        "knee_flexion_right",
        "knee_valgus_left",
        "knee_valgus_right",
        "trunk_lean_image",
        "trunk_lean_lateral",
    ]
    sls = load_file(LIBRARY_DIR / "single_leg_stance.toml")
    assert sls.measures_needed() == ["foot_lift_left", "foot_lift_right", "trunk_lean"]
    assert load_file(LIBRARY_DIR / "any.toml").measures_needed() == []


# --- rep rules -------------------------------------------------------------------------------


def test_a_valid_rep_rule_and_its_defaults() -> None:
    r = RepRule.model_validate(rep())
    assert (r.side, r.direction, r.min_rom, r.min_duration_s, r.max_duration_s) == (
        "both",
        "increase",
        20.0,
        0.4,
        20.0,
    )
    assert r.report is None
    down = RepRule.model_validate(
        rep(measure="hip_height", direction="decrease", enter=0.8, exit=0.9, target=0.55)
    )
    assert down.direction == "decrease"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"enter": 30, "exit": 60}, "enter (30.0) must be beyond exit (60.0)"),
        ({"enter": 60, "exit": 60}, "must be beyond exit"),
        ({"direction": "decrease"}, "in the decrease direction"),  # 60 is not below 30
        ({"target": 50}, "target (50.0) must be at or beyond enter (60.0)"),
        ({"min_duration_s": 5, "max_duration_s": 4}, "max_duration_s must be greater"),
        ({"min_rom": 0}, "greater than 0"),
        ({"min_duration_s": -1}, "greater than or equal to 0"),
        ({"measure": "knee_flex"}, "unknown measure 'knee_flex'"),
        ({"report": "knee_angle"}, "unknown measure 'knee_angle'"),
        ({"side": "both_ways"}, "'both', 'max', 'left', 'right' or 'each'"),
        ({"direction": "up"}, "'increase' or 'decrease'"),
        ({"threshold": 40}, "Extra inputs are not permitted"),
    ],
)
def test_impossible_rep_rules_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        RepRule.model_validate(rep(**changes))
    assert message in error_text(exc)


@pytest.mark.parametrize("missing", ["measure", "enter", "exit", "target"])
def test_rep_rule_required_fields(missing: str) -> None:
    data = rep()
    del data[missing]
    with pytest.raises(ValidationError) as exc:
        RepRule.model_validate(data)
    assert missing in error_text(exc) and "Field required" in error_text(exc)


def test_unknown_measure_message_lists_the_known_ones() -> None:
    with pytest.raises(ValidationError) as exc:
        RepRule.model_validate(rep(measure="knee_flexion_3d"))
    text = error_text(exc)
    for name in ("knee_flexion", "hip_height", "shoulder_abduction", "trunk_lean_image"):
        assert name in text
    # Sided names are accepted both with and without the side.
    assert RepRule.model_validate(rep(measure="knee_flexion_left")).measure == "knee_flexion_left"


# --- hold conditions ---------------------------------------------------------------------------


def test_conditions_need_a_bound_and_a_sensible_interval() -> None:
    assert Condition.model_validate({"measure": "foot_lift", "above": 0.1}).below is None
    assert Condition.model_validate({"measure": "knee_flexion", "above": 40, "below": 125})
    with pytest.raises(ValidationError, match="needs `above`, `below` or both"):
        Condition.model_validate({"measure": "foot_lift"})
    with pytest.raises(ValidationError, match=r"below \(30.0\) must be greater than above"):
        Condition.model_validate({"measure": "knee_flexion", "above": 40, "below": 30})
    with pytest.raises(ValidationError, match="must be greater than above"):
        Condition.model_validate({"measure": "knee_flexion", "above": 40, "below": 40})


def test_hold_rule_needs_conditions_and_a_positive_target() -> None:
    cond = {"measure": "foot_lift", "above": 0.1}
    hold = HoldRule.model_validate({"conditions": [cond]})
    assert (hold.min_start_s, hold.touchdown_max_s, hold.min_hold_s, hold.target_s) == (
        0.3,
        1.0,
        1.0,
        10.0,
    )
    with pytest.raises(ValidationError):
        HoldRule.model_validate({"conditions": []})
    with pytest.raises(ValidationError):
        HoldRule.model_validate({"conditions": [cond], "target_s": 0})


# --- fault rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"measure": None}, "a threshold fault needs `measure`"),
        ({"above": None}, "a threshold fault needs `above` or `below`"),
        ({"below": 5}, "takes `above` or `below`, not both"),
        ({"kind": "rep_peak_short", "measure": None, "above": None}, "needs `below`"),
        ({"kind": "rep_too_fast", "measure": None, "above": None}, "needs `below` (seconds)"),
        ({"kind": "side_difference", "above": None}, "a side_difference fault needs"),
        ({"id": "Lean"}, "should match pattern"),
        ({"id": "1lean"}, "should match pattern"),
        ({"message": "no"}, "at least 3 characters"),
        ({"priority": 6}, "less than or equal to 5"),
        ({"penalty": -1}, "greater than or equal to 0"),
        ({"view": "top"}, "'front', 'side' or 'any'"),
        ({"phase": "up"}, "'working', 'rest', 'any' or 'hold'"),
        ({"measure": "trunk"}, "unknown measure 'trunk'"),
    ],
)
def test_bad_fault_rules_are_refused(changes: dict[str, Any], message: str) -> None:
    data = {k: v for k, v in fault(**changes).items() if v is not None}
    with pytest.raises(ValidationError) as exc:
        FaultRule.model_validate(data)
    assert message in error_text(exc)


def test_fault_rule_defaults() -> None:
    f = FaultRule.model_validate(fault())
    assert (f.kind, f.side, f.view, f.phase, f.min_duration_s, f.priority, f.penalty) == (
        "threshold",
        "each",
        "any",
        "working",
        0.2,
        2,
        15.0,
    )
    short = FaultRule.model_validate(
        {"id": "short", "kind": "rep_peak_short", "below": 0.6, "message": "abc", "cue": "abc"}
    )
    assert short.measure is None


# --- whole exercises ---------------------------------------------------------------------------


def test_a_minimal_exercise_and_its_defaults() -> None:
    ex = Exercise.model_validate(exercise())
    assert (ex.view, ex.body, ex.defaults.sets, ex.defaults.reps) == ("any", "full", 3, 10)
    assert ex.area == "other"
    assert ex.faults == [] and ex.hold is None and ex.generic is None


def test_kind_must_come_with_its_table() -> None:
    with pytest.raises(ValidationError, match=r"kind 'reps' needs a \[rep\] table"):
        Exercise.model_validate(exercise(rep=None))
    with pytest.raises(ValidationError, match=r"kind 'hold' needs a \[hold\] table"):
        Exercise.model_validate(exercise(kind="hold", rep=None))
    generic = Exercise.model_validate(exercise(kind="any", rep=None))
    assert generic.generic == GenericRule()


def test_duplicate_fault_ids_are_refused() -> None:
    with pytest.raises(ValidationError, match="duplicate fault ids: lean"):
        Exercise.model_validate(exercise(faults=[fault(), fault(above=30), fault(id="other")]))


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"id": "Squat"}, "id"),
        ({"name": ""}, "name"),
        ({"kind": "circuit"}, "kind"),
        ({"category": "cardio"}, "category"),
        ({"body": "head"}, "body"),
        ({"area": "knees"}, "area"),
        ({"defaults": {"sets": 0}}, "defaults.sets"),
        ({"defaults": {"reps": 500}}, "defaults.reps"),
        ({"colour": "red"}, "colour"),
        ({"rep": rep(speed=3)}, "rep.speed"),
    ],
)
def test_bad_exercise_fields_are_refused(changes: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Exercise.model_validate(exercise(**changes))
    locs = [".".join(str(p) for p in e["loc"]) for e in exc.value.errors()]
    assert where in locs


def test_definitions_are_immutable() -> None:
    ex = Exercise.model_validate(exercise())
    with pytest.raises(ValidationError):
        ex.name = "Other"  # type: ignore[misc]
    assert ex.rep is not None
    with pytest.raises(ValidationError):
        ex.rep.enter = 10  # type: ignore[misc]
