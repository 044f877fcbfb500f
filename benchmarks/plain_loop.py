"""The loop a user would write: decode a video with OpenCV, run MediaPipe Pose on every frame.

  python benchmarks/plain_loop.py VIDEO [--model lite|full|heavy]

`benchmarks/speed.py` times this whole process against `coach analyze` on the same clip.
Nothing of Coach is imported: MediaPipe's own defaults (the full model, tracking mode), one
colour conversion a frame, no threads of our own. Prints the frames read and those with a
pose.
"""

from __future__ import annotations

import argparse

import cv2
import mediapipe as mp

COMPLEXITY = {"lite": 0, "full": 1, "heavy": 2}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video")
    ap.add_argument("--model", choices=sorted(COMPLEXITY), default="full")
    args = ap.parse_args()
    cap = cv2.VideoCapture(args.video)
    frames = with_pose = 0
    with mp.solutions.pose.Pose(model_complexity=COMPLEXITY[args.model]) as pose:
        while True:
            ok, image = cap.read()
            if not ok:
                break
            result = pose.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            frames += 1
            with_pose += result.pose_landmarks is not None
    cap.release()
    print(f"{frames} frames, {with_pose} with a pose")


if __name__ == "__main__":
    main()
