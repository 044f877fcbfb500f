"""Fault rules frame by frame: sustained thresholds, once per rep, view and phase gating."""

from __future__ import annotations

from typing import Any

import pytest

from pose.landmarks import Landmark as L
from scoring.definition import FaultRule
from scoring.faults import FaultHit, FaultMonitor, fault_joints, rep_peak_short
from scoring.reps import Rep

DT = 1.0 / 30


def rule(**kw: Any) -> FaultRule:
    base: dict[str, Any] = {
        "id": "knee_valgus",
        "measure": "knee_valgus",
        "side": "each",
        "above": 12.0,
        "view": "front",
        "phase": "working",
        "min_duration_s": 0.3,
        "message": "Knee caving inward",
        "cue": "Push your knees out",
    }
    base.update(kw)
    return FaultRule.model_validate(base)


def run(
    monitor: FaultMonitor,
    values_at: Any,
    until_s: float,
    phase: str = "working",
    view: str = "front",
    rep_at: Any = lambda t: 1,
) -> list[tuple[float, FaultHit]]:
    hits = []
    for i in range(int(round(until_s / DT))):
        t = i * DT
        found, _ = monitor.update(t, values_at(t), phase, view, rep_at(t))
        hits += [(t, h) for h in found]
    return hits


def test_fires_only_after_the_threshold_is_held_for_min_duration() -> None:
    monitor = FaultMonitor([rule()])
    hits = run(monitor, lambda t: {"knee_valgus_left": 20.0 if t >= 1.0 else 0.0}, 2.0)
    assert len(hits) == 1
    t, hit = hits[0]
    assert t == pytest.approx(1.3, abs=1.5 * DT)
    assert t >= 1.3 - 1e-9
    assert hit.side == "left" and hit.value == 20.0 and hit.rule.id == "knee_valgus"
    assert set(hit.joints) == {L.LEFT_KNEE.value}


def test_brief_spikes_shorter_than_min_duration_never_fire() -> None:
    monitor = FaultMonitor([rule()])
    # 0.2 s over the threshold out of every 0.5 s.
    hits = run(monitor, lambda t: {"knee_valgus_left": 20.0 if (t % 0.5) < 0.2 else 0.0}, 5.0)
    assert hits == []


def test_once_per_rep_then_again_in_the_next_rep() -> None:
    monitor = FaultMonitor([rule()])
    hits = run(
        monitor,
        lambda t: {"knee_valgus_left": 20.0},
        6.0,
        rep_at=lambda t: 1 if t < 3.0 else 2,
    )
    assert [round(t, 1) for t, _ in hits] == [0.3, 3.0]


def test_a_fault_that_stops_and_comes_back_within_one_rep_fires_once() -> None:
    monitor = FaultMonitor([rule()])

    def bad(t: float) -> dict[str, float]:
        return {"knee_valgus_left": 20.0 if (t < 1.0 or t > 2.0) else 0.0}

    assert len(run(monitor, bad, 3.0)) == 1


def test_each_side_is_its_own_fault() -> None:
    monitor = FaultMonitor([rule()])
    hits = run(monitor, lambda t: {"knee_valgus_left": 20.0, "knee_valgus_right": 25.0}, 1.0)
    assert sorted(h.side for _, h in hits) == ["left", "right"]
    assert {h.side: set(h.joints) for _, h in hits} == {
        "left": {L.LEFT_KNEE.value},
        "right": {L.RIGHT_KNEE.value},
    }


def test_outside_reps_it_repeats_only_every_repeat_s() -> None:
    monitor = FaultMonitor([rule(phase="any")], repeat_s=5.0)
    hits = run(
        monitor, lambda t: {"knee_valgus_left": 20.0}, 12.0, phase="rest", rep_at=lambda t: None
    )
    assert [round(t, 1) for t, _ in hits] == [0.3, 5.3, 10.3]


def test_wrong_view_skips_the_rule_and_resets_its_timer() -> None:
    monitor = FaultMonitor([rule()])
    assert run(monitor, lambda t: {"knee_valgus_left": 30.0}, 2.0, view="side") == []
    assert monitor.skipped("side") == ["knee_valgus"]
    assert monitor.skipped("front") == []
    assert monitor.skipped("oblique") == []  # oblique is tolerated
    # Back to the front view: the 0.3 s count starts afresh.
    monitor2 = FaultMonitor([rule()])
    hits = []
    for i in range(60):
        t = i * DT
        view = "side" if t < 1.0 else "front"
        found, _ = monitor2.update(t, {"knee_valgus_left": 30.0}, "working", view, 1)
        hits += [t for _ in found]
    assert len(hits) == 1 and hits[0] >= 1.3 - 1e-9


@pytest.mark.parametrize("view", ["oblique", "unknown"])
def test_unclear_views_do_not_block(view: str) -> None:
    monitor = FaultMonitor([rule()])
    assert len(run(monitor, lambda t: {"knee_valgus_left": 30.0}, 1.0, view=view)) == 1


def test_wrong_phase_skips_the_rule() -> None:
    monitor = FaultMonitor([rule(phase="working")])
    assert run(monitor, lambda t: {"knee_valgus_left": 30.0}, 2.0, phase="rest") == []
    hold_rule = FaultMonitor([rule(phase="hold", view="any")])
    assert run(hold_rule, lambda t: {"knee_valgus_left": 30.0}, 2.0, phase="working") == []
    assert len(run(hold_rule, lambda t: {"knee_valgus_left": 30.0}, 2.0, phase="hold")) == 1


def test_a_hidden_measure_is_never_a_violation() -> None:
    monitor = FaultMonitor([rule(), rule(id="too_low", above=None, below=10.0)])
    assert run(monitor, lambda t: {"knee_valgus_left": float("nan")}, 2.0) == []
    assert run(monitor, lambda t: {}, 2.0) == []


def test_below_threshold_rule() -> None:
    monitor = FaultMonitor([rule(id="too_low", above=None, below=10.0, side="both")])
    hits = run(monitor, lambda t: {"knee_valgus_left": 5.0, "knee_valgus_right": 7.0}, 1.0)
    assert len(hits) == 1
    assert hits[0][1].side == "" and hits[0][1].value == pytest.approx(6.0)  # both: mean


def test_hot_joints_stay_lit_while_the_fault_lasts_even_after_firing() -> None:
    monitor = FaultMonitor([rule()])
    hot_frames = 0
    for i in range(60):
        t = i * DT
        _, hot = monitor.update(t, {"knee_valgus_left": 20.0}, "working", "front", 1)
        if hot:
            assert hot == {L.LEFT_KNEE.value}
            hot_frames += 1
    assert hot_frames == pytest.approx(60 - 9, abs=1)  # all frames after the first 0.3 s


def test_side_difference_rule() -> None:
    asym = rule(
        id="asymmetry",
        kind="side_difference",
        measure="shoulder_abduction",
        side="each",
        above=35.0,
        min_duration_s=0.4,
    )
    monitor = FaultMonitor([asym])
    hits = run(
        monitor,
        lambda t: {"shoulder_abduction_left": 150.0, "shoulder_abduction_right": 100.0},
        1.0,
    )
    assert len(hits) == 1 and hits[0][1].value == pytest.approx(50.0)
    even = FaultMonitor([asym])
    assert (
        run(
            even,
            lambda t: {"shoulder_abduction_left": 150.0, "shoulder_abduction_right": 130.0},
            1.0,
        )
        == []
    )
    one_hidden = FaultMonitor([asym])
    values = {"shoulder_abduction_left": 150.0, "shoulder_abduction_right": float("nan")}
    assert run(one_hidden, lambda t: values, 1.0) == []


def test_per_rep_rules_are_not_frame_rules() -> None:
    short = rule(id="incomplete_range", kind="rep_peak_short", measure=None, above=None, below=0.6)
    monitor = FaultMonitor([short, rule()])
    assert [r.id for r in monitor.frame_rules()] == ["knee_valgus"]


def test_fault_joints_explicit_or_from_the_measure() -> None:
    assert fault_joints(rule(), "left") == (L.LEFT_KNEE.value,)
    assert set(fault_joints(rule(), "")) == {L.LEFT_KNEE.value, L.RIGHT_KNEE.value}
    trunk = rule(id="lean", measure="trunk_lean_image", side="both")
    assert set(fault_joints(trunk, "")) == {
        L.LEFT_SHOULDER.value,
        L.RIGHT_SHOULDER.value,
        L.LEFT_HIP.value,
        L.RIGHT_HIP.value,
    }
    explicit = rule(joints=["left_wrist", "RIGHT_WRIST"])
    assert fault_joints(explicit, "left") == (L.LEFT_WRIST.value, L.RIGHT_WRIST.value)
    per_rep = rule(id="short", kind="rep_peak_short", measure=None, above=None, below=0.6)
    assert fault_joints(per_rep, "") == ()


def test_rep_peak_short_measures_the_way_from_the_reps_own_rest() -> None:
    # A squat on hip height (decreasing): standing at 1.0, target 0.55, share 0.6.
    shallow = Rep(start_s=0.0, end_s=2.0, peak_t=1.0, peak=0.78, rom=0.22, rest=1.0)
    assert rep_peak_short(shallow, target=0.55, share=0.6)  # 0.22 < 0.6 * 0.45
    deep = Rep(start_s=0.0, end_s=2.0, peak_t=1.0, peak=0.6, rom=0.4, rest=1.0)
    assert not rep_peak_short(deep, target=0.55, share=0.6)
    # Increasing (shoulder abduction from 20 to 110, target 160): 90 < 0.7 * 140.
    arm = Rep(start_s=0.0, end_s=2.0, peak_t=1.0, peak=110.0, rom=90.0, rest=20.0)
    assert rep_peak_short(arm, target=160.0, share=0.7)
    unknown = Rep(start_s=0.0, end_s=2.0, peak_t=1.0, peak=0.78, rom=0.22)
    assert not rep_peak_short(unknown, target=0.55, share=0.6)
