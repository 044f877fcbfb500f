"""The terminal summary of `coach analyze` (coach/offline/report.py) in the reader's language
(`--lang`): English exactly as it always read, with its fixed-width columns; Spanish with no
English word left and its numbers as Spanish writes them."""

from __future__ import annotations

import re

from coach.i18n import reader
from coach.offline.analysis import AnalysisResult
from coach.offline.report import format_summary
from exercises import load_exercise
from scoring.events import FaultDetected, HoldEnded, RepCompleted
from scoring.words import say

NAN = float("nan")
ENGLISH = """\
Squat (squat): 41.1 s, 1234 frames, person seen in 89%
Repetitions: 2
  #1   1.50-  3.25 s  range  84.6 deg  peak 101.3 deg  score  91.2
  #2 (left)   4.00-  6.50 s  angle not measured: seen from a view that cannot measure this \
angle (film side-on)  (not checked against the range limit: the angle was not measured)  \
faults: knees_in
Holds: 1
    7.00-  9.00 s   2.00 s  sway 0.012  touch-downs 1
Faults:
    5.00 s (rep 2) Knee caving inward: Push your knees out over your toes
warning: Someone else came into view: only the patient was followed and counted"""


def analysis() -> AnalysisResult:
    return AnalysisResult(
        exercise="squat",
        frames=1234,
        frames_with_pose=1100,
        fps=30.0,
        duration_s=41.13,
        reps=[
            RepCompleted(
                t=3.0, index=1, start_s=1.5, end_s=3.25, rom_deg=84.62, peak_deg=101.3, score=91.2
            ),
            RepCompleted(
                t=6.0,
                index=2,
                start_s=4.0,
                end_s=6.5,
                rom_deg=NAN,
                peak_deg=NAN,
                score=NAN,
                faults=("knees_in",),
                side="left",
                confidence_reason="view",
                limit_check="unchecked",
            ),
        ],
        holds=[
            HoldEnded(t=9.0, start_s=7.0, end_s=9.0, duration_s=2.0, sway=0.0123, touch_downs=1)
        ],
        faults=[
            FaultDetected(
                t=5.0,
                id="knees_in",
                message=say("Knee caving inward"),
                cue=say("Push your knees out over your toes"),
                rep=2,
            )
        ],
        warnings=[say("Someone else came into view: only the patient was followed and counted")],
    )


def test_the_english_summary_reads_as_it_always_did() -> None:
    squat = load_exercise("squat")
    assert format_summary(analysis(), squat) == ENGLISH
    assert format_summary(analysis(), squat, reader("en")) == ENGLISH


def test_the_spanish_summary_is_spanish() -> None:
    text = format_summary(analysis(), load_exercise("squat"), reader("es"))
    assert text.splitlines()[0] == (
        "Sentadilla (squat): 41,1 s, 1234 fotogramas, persona vista en el 89 %"
    )
    assert "  #1 1,50-3,25 s  amplitud 84,6 grados  pico 101,3 grados  puntuación 91,2" in text
    assert "La rodilla se va hacia dentro: Empuje las rodillas hacia fuera" in text
    words = set(re.findall(r"[A-Za-z]{3,}", text)) - {"squat", "knees_in"}
    english = {"the", "range", "score", "Faults", "Holds", "warning", "not", "measured", "left"}
    assert not words & english, words & english
