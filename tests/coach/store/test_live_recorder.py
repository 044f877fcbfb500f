"""The live recorder stores a session from the first frame that saw the patient: one that
never did (a blocked camera, a page closed during the setup) leaves nothing in the store."""

from __future__ import annotations

from typing import Any

import numpy as np

from coach.sinks import FrameInfo
from coach.store.live_recorder import LiveRecorder
from coach.store.store import Store

INFO = FrameInfo(image_size=(640, 480))
POSE = np.full((33, 4), 0.5, np.float32)


def _started(recorder: LiveRecorder, sid: str, patient_id: int | None) -> Any:
    sink = recorder.sink(sid)
    sink.event({"kind": "SessionStarted", "t": 0.0, "exercise": "squat", "patient_id": patient_id})
    return sink


def test_a_session_that_never_saw_the_patient_is_not_stored(any_store: Store) -> None:
    ther = any_store.create_user("ther3", "T Three", "correct horse battery")
    pid = any_store.create_patient(ther.id, "Pat").id
    recorder = LiveRecorder(any_store.factory)
    try:
        # The camera was blocked: the page connects, says so and leaves.
        blocked = _started(recorder, "blocked01", pid)
        blocked.event({"kind": "ClientProblem", "t": 0.1, "message": "Camera access is blocked"})
        blocked.event({"kind": "PatientDisconnected", "t": 0.2})
        # The camera showed an empty room until the patient ended it.
        empty = _started(recorder, "empty001", pid)
        for i in range(30):
            empty.frame(i / 10, None, INFO)
        empty.event({"kind": "SessionEnded", "t": 3.0, "rep_count": 0})
        recorder.flush()
        assert any_store.session("blocked01") is None and any_store.session("empty001") is None
        assert any_store.sessions_of(pid) == []
    finally:
        recorder.close()


def test_a_session_is_stored_from_the_first_frame_that_sees_the_patient(
    any_store: Store,
) -> None:
    recorder = LiveRecorder(any_store.factory)
    try:
        sink = _started(recorder, "seen0001", None)
        for i in range(5):  # stepping into view
            sink.frame(i / 10, None, INFO)
        recorder.flush()
        assert any_store.session("seen0001") is None
        for i in range(5, 25):
            sink.frame(i / 10, POSE, INFO)
        sink.event({"kind": "RepCompleted", "t": 2.4, "index": 1, "start_s": 0.6, "end_s": 2.4})
        sink.event({"kind": "SessionEnded", "t": 2.5, "rep_count": 1})
        recorder.flush()
        row = any_store.session("seen0001")
        assert row is not None and row.status == "completed" and len(row.reps) == 1
        frames = any_store.session_frames("seen0001")
        # What came before the patient was seen is kept with the session.
        np.testing.assert_allclose(frames.t, [i / 10 for i in range(25)], atol=1e-6)
        assert np.isnan(frames.landmarks[0]).all() and not np.isnan(frames.landmarks[5]).any()
    finally:
        recorder.close()
