"""MediaPipe's person detector alone: where the people in a picture are, at half the cost of a
pose.

BlazePose runs in two stages: a detector that finds people (a box around each head, with
keypoints that place the body), then the landmark model on one of them. The tracking
estimator runs the detector only when it has lost its person; a single-image pose runs both.
To notice someone else walking in, `pose.guard` needs only the first stage, on every person:
this runs MediaPipe's own detection graph (`PoseDetectionCpu`, the same model file and
settings as inside the pose graph), about 11 ms a frame on this project's machine against
34 ms for a single-image pose.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from pose.guard import Box
from pose.native_logs import native_stderr_silenced
from pose.types import Frame

_GRAPH = """
input_stream: "image"
output_stream: "detections"
node {
  calculator: "PoseDetectionCpu"
  input_stream: "IMAGE:image"
  output_stream: "DETECTIONS:detections"
}
"""


_MIN_SCORE = "posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh"


class MediaPipePersonDetector:
    """The heads BlazePose's detector finds in a frame with at least `min_score` (0.5: what
    the pose graph asks of it by default), as boxes in normalised image coordinates (its
    detection box is the head's, with some margin). One instance per stream; not
    thread-safe.

    The detector was trained to find the one person a pose is then made of: with two people
    in view it scores the more prominent one high and the other low (0.98 and 0.11 on the
    guard's test frames), so to find someone else, blank the patient out first.
    """

    def __init__(self, min_score: float = 0.5) -> None:
        from pose.mediapipe_modules import solution_base  # lazy: a native runtime

        threshold = {_MIN_SCORE: min_score}
        graph = solution_base().SolutionBase
        with native_stderr_silenced():
            self._graph: Any = graph(graph_config=_GRAPH, calculator_params=threshold)
            # Its model starts (and logs) on the first frame: one empty frame while fd 2 is
            # hidden.
            self._graph.process({"image": np.zeros((64, 64, 3), np.uint8)})

    def heads(self, frame: Frame) -> list[Box]:
        if self._graph is None:
            raise RuntimeError("MediaPipePersonDetector is closed")
        rgb = frame.rgb if frame.rgb is not None else cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        found = self._graph.process({"image": rgb}).detections or []
        boxes = []
        for detection in found:
            b = detection.location_data.relative_bounding_box
            boxes.append(Box(b.xmin, b.ymin, b.xmin + b.width, b.ymin + b.height))
        return boxes

    def close(self) -> None:
        if self._graph is not None:
            graph, self._graph = self._graph, None
            graph.close()
