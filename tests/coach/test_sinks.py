"""The event-sink seam (coach/sinks.py): one run of a real landmark track through the pipeline
feeds several sinks at once (an event log, the store's SessionWriter, the live recorder's
sink), and they keep the same events; events become JSON in one place and come back."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coach.offline.analysis import landmarks_track, result_from_engine, score_track
from coach.sinks import NO_INFO, EventLog, FrameInfo, Sinks
from coach.store.live_recorder import LiveRecorder
from coach.store.store import Store
from exercises import load_exercise
from scoring.events import (
    EVENT_TYPES,
    FAULT_REPORT,
    HOLD_REPORT,
    REP_REPORT,
    BalanceDone,
    Cue,
    Event,
    FaultDetected,
    HoldEnded,
    HoldProgress,
    PersonWarning,
    PoseFound,
    PoseLost,
    RepCompleted,
    StageEnded,
    StageShown,
    StageStarted,
    TargetResult,
    TargetShown,
    TugDone,
    TugReady,
    TugStarted,
    ViewWarning,
    from_json,
    report_item,
    to_json,
)

SIZE = (1920, 1080)


def _track(shared_data: Path, clip_id: str) -> tuple[np.ndarray, float, str]:
    manifest = json.loads((shared_data / "MANIFEST.json").read_text())["videos"]
    clip = next(c for c in manifest if c["id"] == clip_id)
    with np.load(shared_data / clip["landmarks"]) as data:
        lm = data["lm"]
    return lm, float(clip.get("fps") or 30.0), clip["exercise"]


def _rows(store: Store, session_id: str) -> dict[str, Any]:
    row = store.session(session_id)
    assert row is not None
    return {
        "reps": [
            (
                r.index,
                r.side,
                r.start_s,
                r.end_s,
                r.rom_deg,
                r.peak_deg,
                r.score,
                r.faults,
                r.extra,
                r.profile,
            )
            for r in row.reps
        ],
        "holds": [(h.start_s, h.end_s, h.duration_s, h.sway, h.touch_downs) for h in row.holds],
        "faults": [(f.fault_id, f.t_s, f.rep, f.message) for f in row.faults],
    }


@pytest.mark.parametrize("clip_id", ["medflex/squat", "medflex/sls"])
def test_one_run_feeds_every_sink_the_same_events(
    shared_data: Path, store: Store, clip_id: str
) -> None:
    lm, fps, exercise_id = _track(shared_data, clip_id)
    exercise = load_exercise(exercise_id)
    log = EventLog()
    offline = store.writer("offline01", exercise, patient_id=None, source="analyze")
    offline.start(SIZE, fps)
    recorder = LiveRecorder(store.factory)
    live = recorder.sink("live0001")
    live.event({"kind": "SessionStarted", "t": 0.0, "exercise": exercise.id, "patient_id": None})

    track = landmarks_track(lm, fps, SIZE)
    engine = score_track(exercise, track, SIZE, sink=Sinks([log, offline, live]))
    offline.finish("completed", {"rep_count": len(engine.reps)})
    live.event({"kind": "SessionEnded", "t": track[-1][0], "rep_count": len(engine.reps)})
    recorder.flush()
    recorder.close()

    # The log saw every frame and every event, each as JSON.
    assert log.frames == engine.frames == len(track)
    assert log.frames_with_pose == engine.frames_with_pose > 0
    json.dumps(log.events, allow_nan=False)
    reps, holds, faults = (log.of_kind(k) for k in ("RepCompleted", "HoldEnded", "FaultDetected"))
    assert reps or holds
    # ... the same reps, holds and faults as the result `coach analyze --json` reports ...
    report = result_from_engine(engine, fps, track[-1][0], []).to_json()
    assert [report_item(e, REP_REPORT, 3) for e in reps] == report["reps"]
    assert [report_item(e, HOLD_REPORT, 3) for e in holds] == report["holds"]
    assert [report_item(e, FAULT_REPORT, 3) for e in faults] == report["faults"]
    # ... and both store recorders wrote exactly those, frames included.
    stored = _rows(store, "offline01")
    assert [r[0] for r in stored["reps"]] == [e["index"] for e in reps]
    assert [r[3] for r in stored["reps"]] == [e["end_s"] for e in reps]
    assert [h[2] for h in stored["holds"]] == [e["duration_s"] for e in holds]
    assert sorted((f[0], f[1]) for f in stored["faults"]) == sorted(
        (e["id"], e["t"]) for e in faults
    )
    assert _rows(store, "live0001") == stored
    frames, live_frames = store.session_frames("offline01"), store.session_frames("live0001")
    assert len(frames.t) == len(track)
    np.testing.assert_array_equal(frames.t, live_frames.t)
    np.testing.assert_array_equal(frames.landmarks, live_frames.landmarks)
    for name, values in frames.measures.items():
        np.testing.assert_array_equal(values, live_frames.measures[name])


def _one_of_each() -> list[Event]:
    nan = float("nan")
    return [
        RepCompleted(
            2.5,
            1,
            0.4,
            2.5,
            88.123456,
            95.0,
            74.0,
            ("knee_valgus",),
            "left",
            2.1,
            0.9,
            1.2,
            nan,
            0.5,
            nan,
            {"depth": 0.31, "valgus": nan},
        ),
        RepCompleted(3.0, 2, 2.6, 3.0, 80.0, 90.0, 100.0),
        FaultDetected(1.2, "knee_valgus", "Knees cave in", "Push your knees out", 1, (25, 26)),
        FaultDetected(4.0, "trunk_lean", "Leaning", "Stand tall", None),
        HoldProgress(5.0, 3.5, 10.0),
        HoldEnded(12.0, 2.0, 12.0, 10.0, 0.0123, 1),
        HoldEnded(13.0, 12.5, 13.0, 0.5, nan),
        Cue(1.3, "Push your knees out", 2, "knee_valgus"),
        PoseLost(6.0, "knees not visible", ("left knee", "right knee")),
        PoseFound(6.5),
        ViewWarning(0.5, "side", "front", "Turn sideways", ("trunk_lean",)),
        TargetShown(7.0, 1, "left", 0.8, 0.3, 0.05, 12.0, ((0.0, 0.8, 0.3), (0.1, 0.81, 0.29))),
        TargetResult(9.0, 1, "left", "hit", "Target 1 (left hand): touched", 7.0, True, 0.42),
        PersonWarning(7.0, "Someone else came into view"),
        StageShown(0.0, 1, "feet_together", 10.0),
        StageStarted(1.2, 1, "feet_together", 0.2, 10.0),
        StageEnded(7.5, 1, "feet_together", 6.3, 10.0, False, "stepped"),
        BalanceDone(7.5, 0, 4, True),
        TugReady(1.0),
        TugStarted(5.8),
        TugDone(16.7, 10.96, 12.0, False, "seated"),
        TugDone(20.0, None, 12.0, False, "not_found"),
    ]


def test_event_json_round_trips_every_event_type() -> None:
    events = _one_of_each()
    assert {type(e).__name__ for e in events} == set(EVENT_TYPES)
    assert set(EVENT_TYPES) == {cls.__name__ for cls in Event.__subclasses__()}
    for event in events:
        data = to_json(event)
        assert data["kind"] == event.kind and data["t"] == event.t
        assert json.loads(json.dumps(data, allow_nan=False)) == data  # plain JSON, no NaN
        back = from_json(data)
        assert type(back) is type(event)
        assert to_json(back) == data
    # Measured numbers survive exactly; a number not measured is null, then NaN again.
    rep = from_json(to_json(events[0]))
    assert isinstance(rep, RepCompleted)
    assert rep.rom_deg == 88.123456 and rep.faults == ("knee_valgus",)
    assert math.isnan(rep.sparc) and math.isnan(rep.profile["valgus"])
    assert to_json(events[0])["sparc"] is None and to_json(events[0])["faults"] == ["knee_valgus"]
    assert from_json(to_json(events[5])) == events[5]
    assert from_json(to_json(events[2])) == events[2]


def test_report_items_round_measured_numbers_only() -> None:
    rep, fault = to_json(_one_of_each()[0]), to_json(_one_of_each()[2])
    item = report_item(rep, REP_REPORT, 3)
    assert list(item) == list(REP_REPORT)
    assert item["rom_deg"] == 88.123 and item["index"] == 1 and item["sparc"] is None
    assert report_item(rep, REP_REPORT[:8])["rom_deg"] == 88.123456
    assert report_item(fault, FAULT_REPORT) == {
        "id": "knee_valgus",
        "t_s": 1.2,
        "rep": 1,
        "message": "Knees cave in",
        "cue": "Push your knees out",
        "side": "",
    }


class _Broken:
    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        raise OSError("disk full")

    def event(self, event: dict[str, Any]) -> None:
        raise OSError("disk full")

    def close(self) -> None:
        raise OSError("disk full")


def test_a_failing_sink_stops_the_stream_unless_errors_are_handled() -> None:
    log = EventLog()
    with pytest.raises(OSError):
        Sinks([_Broken(), log]).event({"kind": "PoseFound", "t": 0.0})
    assert log.events == []
    failed: list[tuple[str, str]] = []
    sinks = Sinks(
        [_Broken(), None, log],
        on_error=lambda sink, exc: failed.append((type(sink).__name__, str(exc))),
    )
    sinks.event({"kind": "PoseFound", "t": 0.0})
    sinks.frame(0.1, None)
    sinks.close()
    assert log.events == [{"kind": "PoseFound", "t": 0.0}] and log.frames == 1
    assert failed == [("_Broken", "disk full")] * 3
