"""Human-readable summary of an analysis, for the terminal, in the reader's language
(`coach analyze --lang`; docs/I18N.md). English keeps the terminal's fixed-width columns;
another language writes its numbers as its locale does."""

from __future__ import annotations

import math

from coach.i18n import Reader, reader
from coach.offline.analysis import AnalysisResult
from coach.unmeasured import UNCHECKED_WORDS, not_measured_words
from scoring.definition import Exercise
from scoring.events import HoldEnded, RepCompleted
from scoring.words import Say, psay


class _Numbers:
    """A number as the terminal shows it: by its format spec in English (the columns line
    up), by the locale in another language."""

    def __init__(self, r: Reader) -> None:
        self.r = r

    def __call__(self, value: float, spec: str) -> str:
        if self.r.lang == "en":
            return format(value, spec)
        digits = int(spec.split(".")[1].rstrip("f%")) if "." in spec else None
        return self.r.number(value, digits)


def format_summary(res: AnalysisResult, exercise: Exercise, r: Reader | None = None) -> str:
    r = r or reader("en")
    n = _Numbers(r)
    lines = [
        r.gettext(
            "{exercise} ({id}): {seconds} s, {frames} frames, person seen in {percent}%",
            exercise=r.say(Say(exercise.name)),
            id=exercise.id,
            seconds=n(res.duration_s, ".1f"),
            frames=str(res.frames),
            percent=n(100 * res.pose_share, ".0f"),
        )
    ]
    if exercise.kind in ("reps", "any", "jump"):
        count = str(res.rep_count)
        if exercise.kind == "jump":
            lines.append(r.gettext("Jumps: {count}", count=count))
        else:
            lines.append(r.gettext("Repetitions: {count}", count=count))
        lines += [_rep_line(rep, exercise, r, n) for rep in res.reps]
    if exercise.kind == "hold" or res.holds:
        lines.append(r.gettext("Holds: {count}", count=str(len(res.holds))))
        lines += [_hold_line(h, r, n) for h in res.holds]
    if res.faults:
        lines.append(r.gettext("Faults:"))
        for f in res.faults:
            at = r.gettext("{seconds} s", seconds=n(f.t, "6.2f"))
            rep = " " + r.gettext("(rep {n})", n=str(f.rep)) if f.rep else ""
            said = r.gettext("{message}: {cue}", message=r.say(f.message), cue=r.say(f.cue))
            lines.append(f"  {at}{rep} {said}")
    for w in res.warnings:
        lines.append(r.gettext("warning: {message}", message=r.say(w)))
    return "\n".join(lines)


def _rep_line(rep: RepCompleted, exercise: Exercise, r: Reader, n: _Numbers) -> str:
    extra = ""
    if math.isfinite(rep.rom_deg):
        extra = "  " + r.gettext(
            "range {range} deg  peak {peak} deg",
            range=n(rep.rom_deg, "5.1f"),
            peak=n(rep.peak_deg, "5.1f"),
        )
    elif exercise.kind == "reps":
        why = r.say(not_measured_words(rep.confidence_reason))
        extra = "  " + r.gettext("angle {why}", why=why)
    if math.isfinite(rep.score):
        extra += "  " + r.gettext("score {score}", score=n(rep.score, "5.1f"))
    if rep.limit_check == "unchecked":
        extra += f"  ({r.say(UNCHECKED_WORDS)})"
    faults = (
        "  " + r.gettext("faults: {faults}", faults=", ".join(rep.faults)) if rep.faults else ""
    )
    side = f" ({r.say(_SIDES.get(rep.side, Say(rep.side)))})" if rep.side else ""
    span = r.gettext("{start}-{end} s", start=n(rep.start_s, "6.2f"), end=n(rep.end_s, "6.2f"))
    return f"  #{rep.index}{side} {span}{extra}{faults}"


def _hold_line(h: HoldEnded, r: Reader, n: _Numbers) -> str:
    span = r.gettext("{start}-{end} s", start=n(h.start_s, "6.2f"), end=n(h.end_s, "6.2f"))
    lasted = r.gettext("{seconds} s", seconds=n(h.duration_s, "5.2f"))
    rest = r.gettext(
        "sway {sway}  touch-downs {touches}", sway=n(h.sway, ".3f"), touches=str(h.touch_downs)
    )
    return f"  {span}  {lasted}  {rest}"


_SIDES = {"left": psay("side", "left"), "right": psay("side", "right")}
