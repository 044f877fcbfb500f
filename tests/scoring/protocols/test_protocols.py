"""Clinical test protocols on synthetic signals: counts, times, norms and their edges."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from exercises import load_exercise
from exercises.norms import load_norms
from scoring.protocols import (
    NormError,
    StageTrack,
    chair_stand_30s,
    detect_stands,
    five_times_sit_to_stand,
    four_stage_balance,
    hold_condition,
    range_of_motion,
    single_leg_stance,
    timed_stances,
)
from scoring.protocols.gait import GAIT_MEASURES, gait
from scoring.protocols.norms import ProtocolResult
from scoring.protocols.tug import TUG_MEASURES, timed_up_and_go
from scoring.words import Say
from tests.scoring.tracks import clinical_values

FPS = 30.0
SEATED, STANDING = 0.5, 1.0
ENTER, EXIT = 0.85, 0.7  # the sit_to_stand definition's thresholds


def sts_signal(
    n: int,
    period: float,
    first_onset: float = 1.0,
    total_s: float = 35.0,
    rise: float = 0.6,
    hold: float = 0.3,
    descend: float = 0.8,
) -> tuple[np.ndarray, np.ndarray]:
    """Hip height of `n` sit-to-stands, one every `period` s, piecewise linear."""
    t = np.arange(0.0, total_s, 1.0 / FPS)
    h = np.full_like(t, SEATED)
    span = STANDING - SEATED
    for k in range(n + 1):  # one more, cut short by the end of the track, if it fits
        t0 = first_onset + k * period
        if k == n:
            break
        up = (t >= t0) & (t < t0 + rise)
        h[up] = SEATED + span * (t[up] - t0) / rise
        top = (t >= t0 + rise) & (t < t0 + rise + hold)
        h[top] = STANDING
        down = (t >= t0 + rise + hold) & (t < t0 + rise + hold + descend)
        h[down] = STANDING - span * (t[down] - t0 - rise - hold) / descend
    return t, h


def chair(t: np.ndarray, h: np.ndarray, age: int = 72, sex: str = "female"):  # type: ignore[no-untyped-def]
    ref = load_norms("chair_stand_30s")
    return chair_stand_30s(t, h, enter=ENTER, exit=EXIT, norms=ref, age=age, sex=sex)


# --- stands -----------------------------------------------------------------------------------


def test_detect_stands_finds_each_stand_and_its_onset() -> None:
    t, h = sts_signal(12, 2.5)
    stands = detect_stands(t, h, ENTER, EXIT)
    assert len(stands) == 12
    assert stands[0].onset_s == pytest.approx(1.0, abs=0.1)
    assert stands[0].seated == pytest.approx(SEATED)
    assert stands[0].peak == pytest.approx(STANDING)
    assert np.diff([s.stand_s for s in stands]) == pytest.approx([2.5] * 11, abs=0.05)


def test_a_track_that_starts_standing_counts_only_after_sitting() -> None:
    t, h = sts_signal(3, 2.5, first_onset=2.0, total_s=12.0)
    h[t < 1.0] = STANDING  # standing at the start, sits down by 1 s
    h[(t >= 1.0) & (t < 2.0)] = SEATED
    assert len(detect_stands(t, h, ENTER, EXIT)) == 3


def test_chair_stand_twelve_stands_for_a_72_year_old_woman() -> None:
    t, h = sts_signal(12, 2.5)
    res = chair(t, h)
    assert res.value == 12
    assert res.measured["halfway_stand_counted"] is False
    assert res.interpretation.startswith("average for women 70-74 (10-15)")
    assert res.reference["normal_range"] == [10.0, 15.0]
    assert "Rikli" in res.source and "STEADI" in res.source
    assert res.warnings == []


def test_stands_after_30_s_do_not_count() -> None:
    t, h = sts_signal(16, 2.5, total_s=45.0)  # 16 stands over 40 s
    res = chair(t, h)
    assert res.value == 12
    assert res.measured["stands_detected"] == 16


def test_a_stand_more_than_halfway_up_at_30_s_counts() -> None:
    # Rising over 1 s; the clock starts 0.06 s into the first rise (hips 0.03 above the seat).
    # The 13th stand starts 0.6 s before the 30 s are up: 60% of the way up, short of `enter`.
    period = 29.46 / 12
    t, h = sts_signal(13, period, rise=1.0)
    res = chair(t, h)
    assert res.value == 13
    assert res.measured["halfway_stand_counted"] is True


def test_a_stand_just_begun_at_30_s_does_not_count() -> None:
    period = 29.96 / 12  # the 13th rise starts 0.1 s before the end: barely off the chair
    t, h = sts_signal(13, period, rise=1.0)
    res = chair(t, h)
    assert res.value == 12
    assert res.measured["halfway_stand_counted"] is False


@pytest.mark.parametrize(
    ("n", "age", "sex", "expected"),
    [
        (8, 72, "female", "below average for women 70-74 (< 10)"),
        (9, 85, "male", "average for men 85-89 (8-14)"),
        (16, 66, "female", "average for women 65-69 (11-16)"),
        (18, 72, "male", "above average for men 70-74 (> 17)"),
    ],
)
def test_chair_stand_interpretation_by_band(n: int, age: int, sex: str, expected: str) -> None:
    if n <= 12:
        t, h = sts_signal(n, 2.5)
    else:  # brisker stands
        t, h = sts_signal(n, 1.6, rise=0.5, hold=0.2, descend=0.6)
    res = chair(t, h, age, sex)
    assert res.value == n
    assert res.interpretation.startswith(expected)
    if "below" in expected:
        assert "fall risk" in res.interpretation


def test_an_interpretation_is_a_message_with_its_english_text() -> None:
    """The stored result keeps the English words and carries their id and parameters (`say`),
    so a page says them in its reader's language (docs/I18N.md)."""
    t, h = sts_signal(8, 2.5)
    stored = chair(t, h, 72, "female").to_json()
    said = stored["say"]["interpretation"]
    assert said["id"] == "below average for {band} (< {low}): increased fall risk (STEADI)"
    assert said["params"]["band"] == {
        "id": "women {low}-{high}",
        "params": {"low": "70", "high": "74"},
    }
    assert Say.from_json(said) == stored["interpretation"]
    assert stored["interpretation"].startswith("below average for women 70-74 (< 10)")


def _said_result(protocol: str) -> ProtocolResult:
    """A result of each test whose interpretation is a message, beyond the chair stand's."""
    if protocol == "four_stage_balance":
        return four_stage_balance(_stages([12, 11, 6, 12]), norms=load_norms(protocol))
    if protocol == "range_of_motion":
        t = np.arange(0.0, 5.0, 1.0 / FPS)
        sides = {"left": np.full_like(t, 120.0), "right": np.full_like(t, 131.6)}
        return range_of_motion(
            t, sides, movement_id="knee_flexion", norms=load_norms(protocol), sex="male"
        )
    if protocol == "timed_up_and_go":
        t, values, aspect = clinical_values("tug_moeed_trial_2", TUG_MEASURES)
        return timed_up_and_go(t, values, norms=load_norms(protocol), age=72, width=aspect)
    t, values, aspect = clinical_values("sports2d_demo4_walk", GAIT_MEASURES)
    return gait(t, values, norms=load_norms(protocol), sex="female", height_cm=160, width=aspect)


@pytest.mark.parametrize(
    ("protocol", "english"),
    [
        ("four_stage_balance", "; stage 3 (tandem) not held 10 s: increased fall risk"),
        ("range_of_motion", "left 120 deg; right 132 deg; left-right difference 12 deg; "),
        ("timed_up_and_go", "s: under STEADI's 12 s fall-risk cut-off; average for adults 70-79"),
        ("gait", " steps/min (+-"),
    ],
)
def test_every_tests_interpretation_is_a_message_with_its_english_text(
    protocol: str, english: str
) -> None:
    """TUG, four-stage balance, gait and range of motion store their English words and their
    message (`say`), which says the same words in English."""
    stored = json.loads(json.dumps(_said_result(protocol).to_json(), allow_nan=False))
    said = stored["say"]["interpretation"]
    assert said["id"] != stored["interpretation"] and "params" in said
    assert Say.from_json(said) == stored["interpretation"]
    assert english in stored["interpretation"]


def test_a_results_warnings_are_messages_in_their_order() -> None:
    """Each warning is stored as its English words and as its message (`say.warnings`, one
    per warning), which says the same words; a result without any keeps no `say`."""
    stored = json.loads(json.dumps(_said_result("timed_up_and_go").to_json(), allow_nan=False))
    said = stored["say"]["warnings"]
    assert len(said) == len(stored["warnings"]) >= 2
    assert [Say.from_json(w) for w in said] == stored["warnings"]
    assert said[1]["id"] == "{what} not seen for {seconds} s (from {start} s)"
    assert said[1]["params"]["what"] == {"id": "legs", "context": "body part"}
    t, h = sts_signal(6, 2.5)
    young = five_times_sit_to_stand(
        t, h, enter=ENTER, exit=EXIT, norms=load_norms("five_times_sit_to_stand"), age=45
    ).to_json()
    (reason,) = young["say"]["warnings"]
    assert reason["id"] == "{reason}: not compared with age norms"
    assert reason["params"]["reason"]["id"] == "{name} norms cover ages {low}-{high}, not {age}"
    assert young["warnings"] == [
        "Five-times sit-to-stand norms cover ages 60-89, not 45: not compared with age norms"
    ]


def test_a_short_recording_is_warned() -> None:
    t, h = sts_signal(6, 2.5, total_s=16.0)
    res = chair(t, h)
    assert res.value == 6
    assert any("before the 30 s were up" in w for w in res.warnings)


def test_lost_pose_is_a_warning_with_its_length() -> None:
    t, h = sts_signal(12, 2.5)
    h[(t >= 10.0) & (t < 13.0)] = np.nan
    res = chair(t, h)
    assert any("not seen for 3.0 s (from 10.0 s)" in w for w in res.warnings), res.warnings


def test_five_times_sit_to_stand_time_and_norms() -> None:
    t, h = sts_signal(6, 2.5)
    ref = load_norms("five_times_sit_to_stand")
    res = five_times_sit_to_stand(t, h, enter=ENTER, exit=EXIT, norms=ref, age=72)
    # Onset at ~1.0 s; the 5th stand passes 0.85 at 1 + 4 * 2.5 + 0.42 s.
    assert res.value == pytest.approx(10.42, abs=0.1)
    assert "at or faster than the mean for adults 70-79 (12.6 s)" in res.interpretation
    assert "below the 15 s fall-risk cut-off" in res.interpretation
    assert "Bohannon" in res.source and "Buatois" in res.source


def test_five_times_sit_to_stand_slow_is_a_fall_risk() -> None:
    t, h = sts_signal(5, 4.0)
    ref = load_norms("five_times_sit_to_stand")
    res = five_times_sit_to_stand(t, h, enter=ENTER, exit=EXIT, norms=ref, age=81)
    assert res.value == pytest.approx(16.42, abs=0.1)
    assert "slower than the mean for adults 80-89 (14.8 s)" in res.interpretation
    assert "increased risk of falls" in res.interpretation


def test_five_times_sit_to_stand_cut_off_is_judged_from_65_only() -> None:
    """Buatois 2008 studied people aged 65 and older: younger patients are not judged by the
    15 s cut-off, and without an age the result says the cut-off needs one."""
    t, h = sts_signal(5, 4.0)  # 16.4 s: over the cut-off
    ref = load_norms("five_times_sit_to_stand")
    young = five_times_sit_to_stand(t, h, enter=ENTER, exit=EXIT, norms=ref, age=60)
    assert "applies from age 65: not judged" in young.interpretation
    assert "increased risk of falls" not in young.interpretation
    assert young.reference["fall_risk_min_age"] == 65
    at_65 = five_times_sit_to_stand(t, h, enter=ENTER, exit=EXIT, norms=ref, age=65)
    assert "increased risk of falls" in at_65.interpretation
    unknown = five_times_sit_to_stand(t, h, enter=ENTER, exit=EXIT, norms=ref)
    assert "the cut-off is for ages 65 and older: give the age" in unknown.interpretation


def test_single_leg_stance_norms_are_the_best_of_3_column() -> None:
    """Springer 2007 Table 1, best of 3 trials, sexes pooled (../shared/CLINICAL-NORMS.md)."""
    norms = load_norms("single_leg_stance")
    means = [norms.band(age).values["mean"] for age in (30, 45, 55, 65, 75, 85)]
    assert means == [44.7, 41.9, 41.2, 32.1, 21.5, 9.4]
    t, c = stance_condition(40.0, (1.0, 31.0))
    rule = load_exercise("single_leg_stance_left").hold
    assert rule is not None
    res = single_leg_stance(t, c, rule, side="left", norms=norms, age=65)
    assert res.reference["mean_s"] == 32.1
    assert res.interpretation == "below the mean for adults 60-69 (32.1 s)"


def test_five_times_sit_to_stand_incomplete_has_no_time() -> None:
    t, h = sts_signal(4, 2.5)
    ref = load_norms("five_times_sit_to_stand")
    res = five_times_sit_to_stand(t, h, enter=ENTER, exit=EXIT, norms=ref)
    assert res.value is None
    assert "4 of 5" in res.interpretation
    assert res.to_json()["value"] is None


# --- norms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "sex", "low", "high"),
    [
        (60, "female", 12, 17),
        (64, "female", 12, 17),
        (65, "female", 11, 16),
        (74, "male", 12, 17),
        (75, "male", 11, 17),
        (94, "female", 4, 11),
    ],
)
def test_chair_stand_band_edges(age: int, sex: str, low: float, high: float) -> None:
    band = load_norms("chair_stand_30s").band(age, sex)
    assert (band.values["low"], band.values["high"]) == (low, high)
    assert band.age_min <= age <= band.age_max


@pytest.mark.parametrize(
    ("age", "sex", "message"),
    [
        (None, "female", "need the patient's age"),
        (72, None, "need the patient's sex"),
        (59, "female", "cover ages 60-94, not 59"),
        (95, "male", "cover ages 60-94, not 95"),
        (72, "other", "sex must be one of"),
    ],
)
def test_chair_stand_norms_refuse_what_they_cannot_judge(
    age: int | None, sex: str | None, message: str
) -> None:
    with pytest.raises(NormError, match=message):
        load_norms("chair_stand_30s").band(age, sex)


def test_chair_stand_protocol_needs_age_and_sex() -> None:
    t, h = sts_signal(12, 2.5)
    ref = load_norms("chair_stand_30s")
    with pytest.raises(NormError):
        chair_stand_30s(t, h, enter=ENTER, exit=EXIT, norms=ref, age=72, sex=None)  # type: ignore[arg-type]


def test_age_only_norms_do_not_need_sex() -> None:
    assert load_norms("single_leg_stance").band(69).values["mean"] == 32.1
    assert load_norms("single_leg_stance").band(70).values["mean"] == 21.5
    assert load_norms("five_times_sit_to_stand").band(80).values["mean"] == 14.8


# --- stances ----------------------------------------------------------------------------------


def stance_condition(total_s: float, on: tuple[float, float], lapses=()) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    t = np.arange(0.0, total_s, 1.0 / FPS)
    c = ((t >= on[0]) & (t < on[1])).astype(float)
    for a, b in lapses:
        c[(t >= a) & (t < b)] = 0.0
    return t, c


def test_single_leg_stance_ends_at_the_first_touch_down() -> None:
    rule = load_exercise("single_leg_stance_left").hold
    assert rule is not None
    t, c = stance_condition(20.0, (3.0, 15.0), lapses=[(8.0, 8.3)])
    res = single_leg_stance(t, c, rule, side="left", norms=load_norms("single_leg_stance"), age=72)
    assert res.value == pytest.approx(5.0, abs=0.05)  # 3.0 -> first touch-down at 8.0
    assert res.measured["hold_s"] == pytest.approx(12.0, abs=0.05)
    assert res.measured["touch_downs"] == 1
    assert res.interpretation == "below the mean for adults 70-79 (21.5 s)"
    assert "Springer" in res.source


def test_single_leg_stance_is_capped_at_the_test_maximum() -> None:
    rule = load_exercise("single_leg_stance_right").hold
    assert rule is not None
    t, c = stance_condition(60.0, (1.0, 58.0))
    res = single_leg_stance(t, c, rule, side="right", norms=load_norms("single_leg_stance"))
    assert res.value == 45.0
    assert res.measured["reached_max"] is True
    assert res.interpretation.startswith("held the full 45 s")


def test_single_leg_stance_best_of_several_attempts() -> None:
    rule = load_exercise("single_leg_stance_left").hold
    assert rule is not None
    t = np.arange(0.0, 40.0, 1.0 / FPS)
    c = (((t >= 2) & (t < 6)) | ((t >= 10) & (t < 22)) | ((t >= 25) & (t < 30))).astype(float)
    res = single_leg_stance(t, c, rule, side="left", norms=load_norms("single_leg_stance"))
    assert res.value == pytest.approx(12.0, abs=0.05)
    assert res.measured["attempts"] == 3


def test_no_stance_is_reported_not_zero() -> None:
    rule = load_exercise("single_leg_stance_left").hold
    assert rule is not None
    t = np.arange(0.0, 10.0, 1.0 / FPS)
    res = single_leg_stance(
        t, np.zeros_like(t), rule, side="left", norms=load_norms("single_leg_stance")
    )
    assert res.value is None
    assert "no single-leg stance" in res.interpretation


def test_hold_condition_reads_the_definition() -> None:
    rule = load_exercise("tandem_stance").hold
    assert rule is not None
    values = {
        "feet_separation": np.array([0.1, 0.1, 0.8, np.nan, 0.1]),
        "foot_lift_left": np.array([0.01, 0.3, 0.0, 0.0, np.nan]),
        "foot_lift_right": np.array([-0.01, -0.3, 0.0, 0.0, np.nan]),
    }
    got = hold_condition(values, rule)
    assert got[:3].tolist() == [1.0, 0.0, 0.0]
    assert math.isnan(got[3]) and math.isnan(got[4])


def test_timed_stances_ignore_unseen_frames() -> None:
    rule = load_exercise("feet_together_stance").hold
    assert rule is not None
    t, c = stance_condition(15.0, (1.0, 13.0))
    c[(t >= 5.0) & (t < 5.3)] = np.nan  # can't see: neither a lapse nor a touch-down
    (stance,) = timed_stances(t, c, rule, max_s=10.0)
    assert stance.stance_s == 10.0 and stance.capped and stance.touch_downs == 0


def _stages(held: list[float]) -> list[StageTrack]:
    ids = ["feet_together", "semi_tandem", "tandem", "single_leg"]
    exercises = ["feet_together_stance", "semi_tandem_stance", "tandem_stance", "single_leg_stance"]
    out = []
    for sid, ex, secs in zip(ids, exercises, held, strict=False):
        rule = load_exercise(ex).hold
        assert rule is not None
        t, c = stance_condition(15.0, (1.0, 1.0 + secs))
        out.append(StageTrack(sid, t, c, rule))
    return out


def test_four_stage_all_passed() -> None:
    res = four_stage_balance(_stages([12, 12, 12, 11]), norms=load_norms("four_stage_balance"))
    assert res.value == 4
    assert [s["status"] for s in res.measured["stages"]] == ["passed"] * 4
    assert "fall risk" not in res.interpretation
    assert "STEADI" in res.source


def test_four_stage_tandem_not_held_is_a_fall_risk() -> None:
    res = four_stage_balance(_stages([12, 11, 6, 12]), norms=load_norms("four_stage_balance"))
    assert res.value == 2
    stages = res.measured["stages"]
    assert [s["status"] for s in stages] == ["passed", "passed", "failed", "not tested"]
    assert stages[2]["held_s"] == pytest.approx(6.0, abs=0.05)
    assert "stage 3 (tandem) not held 10 s: increased fall risk" in res.interpretation


def test_four_stage_partial_recording_is_incomplete_not_failed() -> None:
    res = four_stage_balance(_stages([12, 12]), norms=load_norms("four_stage_balance"))
    assert res.value == 2
    assert "fall risk" not in res.interpretation
    assert any("not recorded" in w for w in res.warnings)


def test_four_stage_unknown_stage_is_refused() -> None:
    (stage,) = _stages([12])
    bad = StageTrack("headstand", stage.t, stage.condition, stage.rule)
    with pytest.raises(ValueError, match="unknown stage 'headstand'"):
        four_stage_balance([bad], norms=load_norms("four_stage_balance"))


# --- range of motion --------------------------------------------------------------------------


def test_rom_peak_per_side_ignores_spikes_and_states_sourced_values() -> None:
    t = np.arange(0.0, 10.0, 1.0 / FPS)
    left = 85 + 90 * np.sin(np.pi * t / 5) ** 2  # peaks at 175
    left[100] = 260.0  # one-frame estimation spike
    right = 70 + 70 * np.sin(np.pi * t / 5) ** 2  # peaks at 140
    res = range_of_motion(
        t,
        {"left": left, "right": right},
        movement_id="shoulder_flexion",
        norms=load_norms("range_of_motion"),
        sex="female",
    )
    sides = res.measured["sides"]
    assert sides["left"]["peak_deg"] == pytest.approx(175.0, abs=1.0)
    assert sides["right"]["peak_deg"] == pytest.approx(140.0, abs=1.0)
    assert res.measured["left_right_difference_deg"] == pytest.approx(35.0, abs=1.5)
    # Gill 2020 active mean for women and the AAOS end range; the men's value is left out.
    values = {(r["kind"], r["deg"]) for r in res.reference["values"]}
    assert values == {("active mean", 158.5), ("end range", 180.0)}
    right_active = sides["right"]["of_reference"][0]
    assert right_active["cite"].startswith("Gill 2020")
    assert right_active["percent"] == pytest.approx(100 * 140 / 158.5, abs=1.0)
    # No unsourced verdicts: no "limited", no "asymmetric", no allowance in the reference.
    for word in ("limited", "asymmetric", "within normal"):
        assert word not in res.interpretation
    assert "tolerance_deg" not in res.reference and "asymmetry_deg" not in res.reference
    assert "Gill" in res.source and "Gill 2020" in res.interpretation
    json.dumps(res.to_json(), allow_nan=False)


def test_rom_without_sex_lists_both_and_says_so() -> None:
    t = np.arange(0.0, 5.0, 1.0 / FPS)
    res = range_of_motion(
        t,
        {"left": np.full_like(t, 150.0), "right": np.full_like(t, 150.0)},
        movement_id="shoulder_abduction",
        norms=load_norms("range_of_motion"),
    )
    assert {r["deg"] for r in res.reference["values"]} == {151.5, 149.7, 180.0}
    assert any("sex not given" in w for w in res.warnings)


def test_rom_unseen_side_is_said() -> None:
    t = np.arange(0.0, 5.0, 1.0 / FPS)
    res = range_of_motion(
        t,
        {"left": np.full_like(t, 120.0), "right": np.full_like(t, np.nan)},
        movement_id="knee_flexion",
        norms=load_norms("range_of_motion"),
    )
    assert res.measured["sides"]["right"]["status"] == "not seen"
    assert res.measured["left_right_difference_deg"] is None
    assert any("right side not seen" in w for w in res.warnings)
    assert res.value == pytest.approx(120.0)
    assert json.loads(json.dumps(res.to_json(), allow_nan=False))["protocol"] == "rom_knee_flexion"


def test_an_age_outside_optional_norms_is_a_warning_not_an_error() -> None:
    t, h = sts_signal(6, 2.5)
    ref = load_norms("five_times_sit_to_stand")
    res = five_times_sit_to_stand(t, h, enter=ENTER, exit=EXIT, norms=ref, age=45)
    assert res.value == pytest.approx(10.42, abs=0.1)
    assert "mean_s" not in res.reference
    assert any("not 45: not compared with age norms" in w for w in res.warnings)
