"""Human-readable summary of an analysis, for the terminal."""

from __future__ import annotations

import math

from coach.offline.analysis import AnalysisResult
from coach.unmeasured import UNCHECKED_WORDS, not_measured_words
from scoring.definition import Exercise


def format_summary(res: AnalysisResult, exercise: Exercise) -> str:
    lines = [
        f"{exercise.name} ({exercise.id}): {res.duration_s:.1f} s, {res.frames} frames, "
        f"person seen in {res.pose_share:.0%}",
    ]
    if exercise.kind in ("reps", "any", "jump"):
        lines.append(f"{'Jumps' if exercise.kind == 'jump' else 'Repetitions'}: {res.rep_count}")
        for r in res.reps:
            extra = ""
            if math.isfinite(r.rom_deg):
                extra = f"  range {r.rom_deg:5.1f} deg  peak {r.peak_deg:5.1f} deg"
            elif exercise.kind == "reps":
                extra = f"  angle {not_measured_words(r.confidence_reason)}"
            if math.isfinite(r.score):
                extra += f"  score {r.score:5.1f}"
            if r.limit_check == "unchecked":
                extra += f"  ({UNCHECKED_WORDS})"
            faults = f"  faults: {', '.join(r.faults)}" if r.faults else ""
            side = f" ({r.side})" if r.side else ""
            lines.append(f"  #{r.index}{side} {r.start_s:6.2f}-{r.end_s:6.2f} s{extra}{faults}")
    if exercise.kind == "hold" or res.holds:
        lines.append(f"Holds: {len(res.holds)}")
        for h in res.holds:
            lines.append(
                f"  {h.start_s:6.2f}-{h.end_s:6.2f} s  {h.duration_s:5.2f} s  "
                f"sway {h.sway:.3f}  touch-downs {h.touch_downs}"
            )
    if res.faults:
        lines.append("Faults:")
        for f in res.faults:
            rep = f" (rep {f.rep})" if f.rep else ""
            lines.append(f"  {f.t:6.2f} s{rep} {f.message}: {f.cue}")
    for w in res.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)
