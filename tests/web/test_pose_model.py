"""`coach serve --model lite|full|heavy`: the chosen model is the one that finds the pose in
uploads and in server-mode live sessions. Real models, a real server, a real SQLite store: the
landmarks the server produces match the chosen model's and differ from the default's."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from websockets.sync.client import connect

from coach.pipeline import FrameProcessor
from coach.store import open_store
from exercises import load_exercise
from pose.estimator import POSE_MODELS, create_model_estimator
from pose.mediapipe_backend import MODEL_COMPLEXITY, ModelUnavailableError, check_model_available
from pose.types import Frame
from tests.helpers.serve import coach_serve, stop_coach_serve, wait_until_healthy
from tests.servers import free_port
from tests.web.sockets import recv_type, send_frame
from web.frames import decode_frame
from web.uploads.jobs import AnalysisJobs


@pytest.fixture(scope="module", autouse=True)
def lite_installed() -> None:
    try:
        check_model_available(MODEL_COMPLEXITY["lite"])
    except ModelUnavailableError:
        pytest.skip("the lite model is not installed (coach assets fetch)")


def _landmarks(image: np.ndarray, model: str) -> np.ndarray:
    processor = FrameProcessor(load_exercise("squat"), require_setup=True, pose_model=model)
    try:
        message = processor.process(Frame(image=image, t=0.0, index=0)).to_message()
    finally:
        processor.close()
    return np.array(message["landmarks"])


@pytest.mark.model
def test_the_processor_makes_and_owns_the_chosen_model() -> None:
    processor = FrameProcessor(load_exercise("squat"), pose_model="lite")
    assert processor.estimator is not None
    # The default estimator is kept on the patient (pose.guard); it tracks with the lite model.
    tracker = getattr(processor.estimator, "tracker", processor.estimator)
    assert tracker.model_complexity == 0  # type: ignore[attr-defined]
    processor.close()
    assert processor.estimator is None  # closed with the processor
    with pytest.raises(ValueError, match="lite, full, heavy"):
        create_model_estimator("huge")
    # pose.estimator names the models by MediaPipe's model_complexity, without importing it.
    assert {name: i for i, name in enumerate(POSE_MODELS)} == MODEL_COMPLEXITY


@pytest.mark.subprocess
@pytest.mark.server
@pytest.mark.model
def test_coach_serve_model_lite_runs_live_sessions_on_the_lite_model(
    tmp_path: Path, squat_jpegs: tuple[list[bytes], float]
) -> None:
    """A real `coach serve --model lite`: a server-mode session's landmarks are lite's."""
    frames, _ = squat_jpegs
    data = frames[len(frames) // 3]
    image = decode_frame(data)
    lite, full = _landmarks(image, "lite"), _landmarks(image, "full")
    assert np.abs(lite - full).max() > 0.002  # the two models do see it differently

    port = free_port()
    proc = coach_serve(
        "--port", str(port), "--model", "lite", env={"COACH_DATA_DIR": str(tmp_path)}
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", proc)
        url = f"ws://127.0.0.1:{port}/ws/live?exercise=squat&pose=server"
        with connect(url, open_timeout=60, max_size=None) as ws:
            recv_type(ws, "session", timeout=60)
            reply = send_frame(ws, data)
    finally:
        stop_coach_serve(proc)
    assert reply["type"] == "frame", reply
    served = np.array(reply["landmarks"])
    assert np.abs(served - lite).max() <= 0.002
    assert np.abs(served - full).max() > 0.002


def _short_clip(src: Path, dest: Path, frames: int = 12) -> Path:
    """The first `frames` frames of `src` as an mp4 (an upload that analyses in seconds)."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 24.0
    writer = None
    for _ in range(frames):
        ok, image = cap.read()
        if not ok:
            break
        if writer is None:
            h, w = image.shape[:2]
            writer = cv2.VideoWriter(str(dest), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        writer.write(image)
    cap.release()
    assert writer is not None
    writer.release()
    return dest


def _analyse_upload(store: Any, patient_id: int, clip: Path, model: str, root: Path) -> np.ndarray:
    uploads = root / f"uploads-{model}"
    uploads.mkdir()
    received = uploads / "received.part"
    received.write_bytes(clip.read_bytes())
    jobs = AnalysisJobs(store, upload_dir=uploads, pose_model=model)
    try:
        job_id = jobs.submit(patient_id, load_exercise("squat"), "clip.mp4", received, False)
        deadline = time.monotonic() + 120
        while (job := store.job(job_id)).status not in ("done", "failed"):
            assert time.monotonic() < deadline, "the analysis did not finish"
            time.sleep(0.1)
    finally:
        jobs.close()
    assert job.status == "done", job.error
    return np.asarray(store.session_frames(job.session_id).landmarks)


@pytest.mark.model
def test_an_upload_is_analysed_with_the_chosen_model(
    tmp_path: Path,
    squat_clip: tuple[Path, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    clip = _short_clip(squat_clip[0], tmp_path / "clip.mp4")
    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    try:
        ther = store.create_user("ther.model", "Dr Model", "correct horse battery")
        patient = store.create_patient(ther.id, "Pat Model")
        lite = _analyse_upload(store, patient.id, clip, "lite", tmp_path)
        full = _analyse_upload(store, patient.id, clip, "full", tmp_path)
    finally:
        store.close()
    assert lite.shape == full.shape and lite.shape[0] > 0
    assert np.nanmax(np.abs(lite - full)) > 0.002  # not the default model

    # The same video through the lite model directly: the upload's landmarks, to rounding.
    estimator = create_model_estimator("lite")
    try:
        cap = cv2.VideoCapture(str(clip))
        ok, first = cap.read()
        cap.release()
        assert ok
        pose = estimator.estimate(Frame(image=first, t=0.0, index=0))
    finally:
        estimator.close()
    assert pose is not None
    assert np.abs(lite[0, :, :2] - pose.landmarks[:, :2]).max() < 0.01
