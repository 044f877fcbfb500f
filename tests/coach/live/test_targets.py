"""coach.live.targets: a live targets session keeps what an offline run keeps (the same
stored summary from the same events), takes the page's latency only when it is sane and at
most twice a second, and tells the patient each result in plain words."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from coach.live.targets import LiveTargets, patient_words
from exercises import load_task
from scoring.events import to_json
from scoring.modes.targets import score_targets, targets_summary
from scoring.targets import make_schedule

TRACK = Path(__file__).resolve().parents[3] / "samples/tracks/rehab_bme410_shoulder_abduction.npz"


def test_the_stored_summary_is_the_offline_one_for_the_same_events() -> None:
    task = load_task("targets_reach_seated")
    live = LiveTargets(task, 3, 11)
    assert live.schedule == make_schedule(task, 3, 11) and live.count == 12
    with np.load(TRACK) as data:
        lm, t = data["lm"].astype(np.float64), data["t"].astype(np.float64)
        w, h = (int(v) for v in data["image_size"])
    lm, t = np.concatenate([lm] * 8), np.concatenate([t + k * (t[-1] + t[1]) for k in range(8)])
    run = score_targets(task, live.schedule, t, lm, w / h)
    assert len(run.results) == 12
    for ti in t:
        live.frame(float(ti))
    events = sorted([*run.shown, *run.results], key=lambda e: (e.index, e.kind != "TargetShown"))
    sent = [live.on_event(to_json(e)) for e in events]
    assert live.done and live.remaining() == []
    assert live.stored() == targets_summary(task, run, 3, 11, math.nan)
    results = [e for e in sent if e["kind"] == "TargetResult"]
    assert all(e["message"] == patient_words(e) for e in results)
    assert [e["detail"] for e in results] == [r.message for r in run.results]
    block = live.block()
    hits = sum(r.hit for r in run.results)
    assert block["text"] == f"{hits} of 12 targets touched" and block["done"] == 12
    assert block["hands"]["left"]["targets"] == block["hands"]["right"]["targets"] == 6


def test_latency_is_checked_and_at_most_twice_a_second() -> None:
    live = LiveTargets(load_task("targets_reach_seated"), 1, 0)
    assert math.isnan(live.latency_s)
    assert live.offer_latency(80, 10.0) is None and live.latency_s == pytest.approx(0.08)
    assert live.offer_latency(95.5, 10.3) is None and live.latency_s == pytest.approx(0.08)
    assert live.offer_latency(95.5, 10.5) is None and live.latency_s == pytest.approx(0.0955)
    for bad in (0, -3, 5000.5, 1e9, math.nan, math.inf, True, "80", None, [80]):
        refused = live.offer_latency(bad, 100.0)
        assert refused is not None and refused.startswith("latency: ms must be"), bad
    assert live.latency_s == pytest.approx(0.0955)


def test_plain_words() -> None:
    assert patient_words({"status": "hit"}) == "Well done, you touched it"
    assert patient_words({"status": "miss"}) == "Missed: try to reach it next time"
    assert patient_words({"status": "hand_not_seen", "hand": "left"}) == (
        "I could not see your left hand"
    )
    assert patient_words({"status": "hit"}, moving=True) == "Well done, you followed it"
    outside = {"status": "outside_image", "message": "Target 2 did not fit"}
    assert patient_words(outside) == "Target 2 did not fit"


def test_a_moving_target_result_is_said_as_following() -> None:
    live = LiveTargets(load_task("targets_follow"), 1, 3)
    assert live.hello()["layout"] == "follow"
    spec = live.schedule[0]
    result = {"kind": "TargetResult", "t": 9.0, "index": spec.index, "hand": spec.hand}
    hit = live.on_event({**result, "status": "hit", "message": "on it 80% of the time"})
    assert hit["message"] == "Well done, you followed it"
    assert hit["detail"] == "on it 80% of the time" and hit["latency_s"] is None
    assert live.block()["text"].endswith("moving targets followed")
    assert [s.index for s in live.remaining()] == [s.index for s in live.schedule[1:]]
