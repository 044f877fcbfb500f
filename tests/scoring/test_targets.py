"""Hand-eye targets scoring (scoring.targets, scoring.modes.targets), pure: constructed hand
tracks whose answers are known, and a real arm-raising track with placed and seeded targets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from exercises.loader import LIBRARY_DIR, load_library
from scoring.events import TargetResult, from_json, to_json
from scoring.modes.targets import TargetMode, score_targets
from scoring.targets import TargetError, TargetSpec, compare_hands, make_schedule

TASKS = load_library([LIBRARY_DIR]).tasks
REACH, CROSS, FOLLOW = (
    TASKS[k] for k in ("targets_reach_seated", "targets_cross_body", "targets_follow")
)
TRACK = (
    Path(__file__).resolve().parents[2]
    / "samples"
    / "tracks"
    / "rehab_bme410_shoulder_abduction.npz"
)
FPS = 30.0
L_SH, R_SH, L_EL, R_EL, L_WR, R_WR = 11, 12, 13, 14, 15, 16
REST = np.array([0.68, 0.70])


def body(n: int) -> np.ndarray:
    """A seated person facing the camera (aspect 1), arms down, every landmark seen."""
    lm = np.zeros((n, 33, 4))
    lm[:, :, :2] = 0.5
    lm[:, :, 3] = 1.0
    lm[:, L_SH, :2], lm[:, R_SH, :2] = (0.6, 0.4), (0.4, 0.4)
    lm[:, L_EL, :2], lm[:, R_EL, :2] = (0.65, 0.55), (0.35, 0.55)
    lm[:, L_WR, :2], lm[:, R_WR, :2] = REST, (0.32, 0.70)
    return lm


def min_jerk(t: np.ndarray, t0: float, dur: float, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    tau = np.clip((t - t0) / dur, 0, 1)[:, None]
    return a + (b - a) * (10 * tau**3 - 15 * tau**4 + 6 * tau**5)


def still(index: int = 1, at: tuple[float, float] = (0.85, 0.35), **kw: float) -> TargetSpec:
    values = {
        "foreperiod_s": 0.5,
        "angle_deg": 0.0,
        "distance": 0.5,
        "radius": 0.15,
        "timeout_s": 4.0,
    }
    values.update(kw)
    return TargetSpec(index, "left", at=at, **values)  # type: ignore[arg-type]


def run(lm: np.ndarray, specs: list[TargetSpec], task=REACH, latency: float = math.nan):
    t = np.arange(len(lm)) / FPS
    return score_targets(task, specs, t, lm, aspect=1.0, latency_s=latency)


def test_a_clean_reach_is_timed_straight_smooth_and_on_target() -> None:
    n = int(4 * FPS)
    t = np.arange(n) / FPS
    lm = body(n)
    lm[:, L_WR, :2] = min_jerk(t, 0.8, 0.8, REST, np.array([0.85, 0.35]))
    res = run(lm, [still()], latency=0.12)
    (shown,) = res.shown
    assert shown.t == pytest.approx(0.5) and (shown.x, shown.y) == pytest.approx((0.85, 0.35))
    (r,) = res.results
    assert r.status == "hit" and r.hit
    assert r.resolution_s == pytest.approx(1 / FPS) and r.latency_s == 0.12
    # The true start is 0.3 s after showing; onset at 10 % of peak speed adds ~0.07 s.
    assert 0.3 <= r.reaction_s <= 0.3 + 0.1 + r.resolution_s
    assert 0.4 < r.movement_s < 0.8
    assert r.straightness > 0.98
    assert -1.9 < r.sparc < -1.3  # one minimum-jerk movement
    assert r.overshoot < 0.02


def test_overshoot_is_measured_past_the_centre() -> None:
    n = int(4 * FPS)
    t = np.arange(n) / FPS
    lm = body(n)
    centre = np.array([0.85, 0.35])
    past = centre + 0.3 * (centre - REST)
    out = min_jerk(t, 0.8, 0.8, REST, past)
    back = min_jerk(t, 1.6, 0.5, past, centre)
    lm[:, L_WR, :2] = np.where((t < 1.6)[:, None], out, back)
    (r,) = run(lm, [still()]).results
    arm = math.hypot(0.05, 0.15) + math.hypot(0.03, 0.15)
    expected = 0.3 * float(np.linalg.norm(centre - REST)) / arm
    assert r.hit and r.overshoot == pytest.approx(expected, rel=0.1)


def test_a_target_never_reached_is_a_miss_after_its_timeout() -> None:
    (r,) = run(body(int(6 * FPS)), [still(timeout_s=3.0)]).results
    assert r.status == "miss" and not r.hit
    assert r.t == pytest.approx(3.5, abs=1 / FPS)
    assert math.isnan(r.movement_s) and "not reached" in r.message


def test_a_missing_hand_is_said_not_scored_as_slow() -> None:
    lm = body(int(6 * FPS))
    lm[int(0.6 * FPS) :, L_WR, 3] = 0.1  # the left wrist leaves the picture
    (r,) = run(lm, [still(timeout_s=3.0)]).results
    assert r.status == "hand_not_seen"
    assert r.message == "The left hand was not seen while target 1 was up"
    assert math.isnan(r.reaction_s)


def test_a_target_outside_the_image_is_refused_plainly() -> None:
    with pytest.raises(TargetError, match=r"target 1 at x=1.2, y=0.5 lies outside the image"):
        run(body(60), [still(at=(1.2, 0.5))])


def test_a_person_at_the_edge_gets_targets_pulled_in_or_a_clear_message() -> None:
    lm = body(int(8 * FPS))
    lm[:, :, 0] += 0.38  # the person sits at the right edge of the picture
    specs = [TargetSpec(1, "left", 0.5, 0.0, 0.9, 0.2, 3.0)]
    (r,) = run(lm, specs).results
    assert r.status == "outside_image"
    assert "did not fit inside the camera image" in r.message
    lm = body(int(8 * FPS))
    lm[:, :, 0] += 0.2  # nearer the edge: the target moves toward the shoulder to fit
    res = run(lm, specs)
    assert res.results[0].status == "miss" and res.results[0].distance < 0.9
    assert res.shown[0].x + res.shown[0].radius <= 1.0


def test_bad_levels_and_tracks_are_refused_with_reasons() -> None:
    with pytest.raises(
        TargetError, match=r"level 7 is not defined for 'targets_reach_seated'; levels: 1, 2, 3"
    ):
        make_schedule(REACH, 7, seed=1)
    with pytest.raises(TargetError, match="whole number"):
        make_schedule(REACH, "2", seed=1)  # type: ignore[arg-type]
    with pytest.raises(TargetError, match=r"landmarks must be \(frames, 33, 4\)"):
        score_targets(REACH, [still()], np.arange(5.0), np.zeros((5, 17, 3)), 1.0)
    with pytest.raises(TargetError, match="strictly increasing"):
        score_targets(REACH, [still()], np.zeros(5), np.zeros((5, 33, 4)), 1.0)
    with pytest.raises(TargetError, match="no targets"):
        TargetMode(REACH, [], 1.0)


def test_schedules_are_seeded_and_follow_the_level() -> None:
    a, b = make_schedule(REACH, 2, seed=11), make_schedule(REACH, 2, seed=11)
    assert a == b and a != make_schedule(REACH, 2, seed=12)
    assert len(a) == 12 and [s.hand for s in a[:4]] == ["left", "right", "left", "right"]
    level = REACH.level(2)
    assert {(s.distance, s.radius) for s in a} == {(level.distance, level.radius)}
    assert all(REACH.targets.angle_min <= s.angle_deg <= REACH.targets.angle_max for s in a)
    (moving, *_) = make_schedule(FOLLOW, 3, seed=1)
    assert moving.speed == FOLLOW.level(3).speed and moving.follow_s == FOLLOW.targets.follow_s


def _follow(hand_path: bool) -> TargetResult:
    spec = make_schedule(FOLLOW, 1, seed=3)[0]
    n = int((spec.foreperiod_s + spec.follow_s + 1) * FPS)
    lm = body(n)
    (shown,) = run(lm, [spec], FOLLOW).shown  # the hand at rest: where the target goes
    path = np.array(shown.path)
    if hand_path:
        t = np.arange(n) / FPS
        tau = np.clip(t - shown.t, 0, path[-1, 0])
        after = (t >= shown.t)[:, None]
        follow = np.stack([np.interp(tau, path[:, 0], path[:, i]) for i in (1, 2)], axis=-1)
        lm[:, L_WR, :2] = np.where(after, follow, lm[:, L_WR, :2])
    (r,) = run(lm, [spec], FOLLOW).results
    return r


def test_following_a_moving_target_scores_the_tracking_error() -> None:
    good, idle = _follow(True), _follow(False)
    assert good.hit and good.on_target == pytest.approx(1.0) and good.tracking_error < 0.02
    assert not idle.hit and idle.on_target < 0.3 and idle.tracking_error > 0.3


def _shoulder_abduction() -> tuple[np.ndarray, np.ndarray, float]:
    d = np.load(TRACK)
    w, h = d["image_size"]
    return d["t"], d["lm"].astype(np.float64), float(w / h)


def test_real_arm_raising_track_against_placed_targets() -> None:
    t, lm, aspect = _shoulder_abduction()
    # Where each wrist passes as the arms rise sideways (the person's left is image right).
    specs = [
        TargetSpec(1, "left", 1.0, 0.0, 0.5, 0.25, 4.0, at=(0.88, 0.30)),
        TargetSpec(2, "right", 1.0, 0.0, 0.5, 0.25, 4.0, at=(0.12, 0.30)),
    ]
    res = score_targets(REACH, specs, t, lm, aspect)
    assert [r.status for r in res.results] == ["hit", "hit"]
    # The left arm was already rising when its target appeared: no reaction time is claimed.
    assert math.isnan(res.results[0].reaction_s) and "already moving" in res.results[0].message
    assert 0.1 <= res.results[1].reaction_s < 1
    for r in res.results:
        assert r.resolution_s == pytest.approx(float(np.median(np.diff(t))))
        assert 0 <= r.movement_s < 2
        assert 0 < r.straightness <= 1 and r.sparc < 0 and r.overshoot >= 0
        assert to_json(from_json(json.loads(json.dumps(to_json(r))))) == to_json(r)
    both = compare_hands(res.results)
    assert both["left"]["hits"] == 1 and both["right"]["hits"] == 1  # type: ignore[index]
    assert set(both["left_minus_right"]) >= {"reaction_s", "movement_s", "sparc"}  # type: ignore[arg-type]


@pytest.mark.parametrize("task_id", sorted(TASKS))
def test_seeded_tasks_on_a_real_track_replay_identically(task_id: str) -> None:
    t, lm, aspect = _shoulder_abduction()
    task = TASKS[task_id]
    first = score_targets(task, make_schedule(task, 1, seed=5), t, lm, aspect)
    again = score_targets(task, make_schedule(task, 1, seed=5), t, lm, aspect)
    assert [to_json(r) for r in first.results] == [to_json(r) for r in again.results]
    assert first.results and {r.hand for r in first.results} == {"left", "right"}
    for r in first.results:
        assert r.status in {"hit", "miss"} and r.resolution_s == pytest.approx(
            first.frame_interval_s
        )
        assert 0 <= r.x <= 1 and 0 <= r.y <= 1
