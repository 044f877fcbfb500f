"""pose.mediapipe_modules: the pose solution without the rest of `import mediapipe`, and the
package as ever for whoever imports it afterwards. Each case needs a fresh interpreter (what is
imported is the subject), so each runs in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.subprocess

# The package's names and its solutions' names, as a plain import leaves them.
_NAMES = (
    "import json, mediapipe as mp; "
    "print(json.dumps([sorted(vars(mp)), sorted(vars(mp.solutions)), mp.__version__]))"
)


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_only_what_the_pose_model_and_the_detector_need_is_loaded() -> None:
    loaded = json.loads(
        _python(
            "import json, sys; from pose.mediapipe_modules import pose_solution, solution_base; "
            "pose, base = pose_solution(), solution_base(); "
            "print(json.dumps([pose.Pose.__name__, base.SolutionBase.__name__, "
            "[m for m in ('matplotlib', 'mediapipe.tasks', 'mediapipe.python.solutions.hands',"
            " 'mediapipe.python.solutions.drawing_utils') if m in sys.modules]]))"
        )
    )
    assert loaded == ["Pose", "SolutionBase", []]


def test_a_later_plain_import_gets_the_whole_package() -> None:
    plain = json.loads(_python(_NAMES))
    after = json.loads(
        _python(
            "from pose.mediapipe_modules import pose_solution; pose_solution(); "
            "import mediapipe as mp; assert mp.solutions.pose is pose_solution(); "
            "assert mp.solutions.drawing_utils.DrawingSpec and mp.tasks.BaseOptions; " + _NAMES
        )
    )
    assert after[1:] == plain[1:]  # the solutions and the version
    # The package's own names: all there, plus the graph runner the star import of
    # `mediapipe.python` finds already loaded (an alias of `mediapipe.python.solution_base`).
    assert set(plain[0]) <= set(after[0])
    assert set(after[0]) - set(plain[0]) <= {"solution_base"}


def test_the_package_imported_first_is_used_as_it_is() -> None:
    same = _python(
        "import mediapipe as mp; from pose.mediapipe_modules import pose_solution; "
        "print(pose_solution() is mp.solutions.pose and '__getattr__' not in vars(mp))"
    )
    assert same == "True"


@pytest.mark.model
def test_the_person_detector_starts_first_in_a_fresh_interpreter() -> None:
    """The detection graph's text names calculators whose options only the pose solution's
    imports register: the detector must work when nothing else of MediaPipe came first."""
    found = _python(
        "import numpy as np; from pose.mediapipe_detector import MediaPipePersonDetector; "
        "from pose.types import Frame; d = MediaPipePersonDetector(); "
        "print(d.heads(Frame(np.zeros((48, 64, 3), np.uint8), 0.0, 0))); d.close()"
    )
    assert found == "[]"
