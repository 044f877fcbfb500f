"""A hand-eye targets run to and from FHIR: one Observation for the run (its layout, level,
schedule seed, time resolution, and per hand the targets shown and reached), and one per
target, its members: hand, status, and every measure of it (reaction and movement time,
straightness, smoothness, overshoot, tracking error, ...), each in its unit.

A target's message keeps its English words in `target-message` (for any reader) and its
message id and parameters (scoring.words: `say`) in that component's `message-words`
extension, so an imported run is shown in each reader's language, as the recorded one is.

Where the targets were drawn (the `shown` list, with moving targets' paths) is not exported;
the left/right comparison is recomputed from the targets on import, as the run computed it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from coach.review.fhir.refs import Context, ref
from coach.review.fhir.sessions import SessionInfo
from coach.review.fhir.terms import (
    Q,
    component,
    components,
    concept,
    extension,
    extension_values,
    read_value,
)

# TargetResult field -> (our code, unit; None: as it is)
FIELDS = {
    "t": ("target-t", "s"),
    "index": ("target-index", None),
    "hand": ("target-hand", None),
    "status": ("target-status", None),
    "message": ("target-message", None),
    "shown_s": ("target-shown-at", "s"),
    "reaction_s": ("target-reaction-time", "s"),
    "movement_s": ("target-movement-time", "s"),
    "straightness": ("target-straightness", "1"),
    "sparc": ("target-smoothness", "1"),
    "overshoot": ("target-overshoot", "arm lengths"),
    "tracking_error": ("target-tracking-error", "arm lengths"),
    "on_target": ("target-on-target", "1"),
    "distance": ("target-distance", "arm lengths"),
    "radius": ("target-radius", "arm lengths"),
    "resolution_s": ("target-resolution", "s"),
    "latency_s": ("target-latency", "s"),
    "x": ("target-x", "1"),
    "y": ("target-y", "1"),
}
_BY_CODE = {code: name for name, (code, _) in FIELDS.items()}
RUN = {  # the run's own numbers: summary key -> (our code, unit)
    "layout": ("targets-layout", None),
    "level": ("targets-level", None),
    "seed": ("targets-seed", None),
    "frame_interval_s": ("targets-frame-interval", "s"),
    "latency_s": ("targets-latency", "s"),
}


def run_of(session: Any) -> dict[str, Any] | None:
    tg = (session.summary or {}).get("targets") if isinstance(session.summary, dict) else None
    return tg if isinstance(tg, dict) and isinstance(tg.get("results"), list) else None


def _value(name: str, value: Any, unit: str | None) -> Any:
    if value is None:
        return None
    if name == "hand":
        return concept(str(value)) if value in ("left", "right") else str(value)
    if name == "seed":
        return str(value)  # may exceed FHIR's 32-bit integer
    return value if unit is None else Q(value, unit)


def _component(name: str, code: str, unit: str | None, result: dict[str, Any]) -> dict[str, Any]:
    out = component(code, _value(name, result.get(name), unit))
    words = (result.get("say") or {}).get(name) if isinstance(result.get("say"), dict) else None
    if words:
        out["extension"] = [extension("message-words", json.dumps(words, sort_keys=True))]
    return out


def _words(c: dict[str, Any]) -> dict[str, Any] | None:
    """A message's id and parameters from its component's `message-words` (None: none, or not
    readable: the text alone is shown)."""
    text = extension_values(c).get("message-words")
    try:
        words = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return words if isinstance(words, dict) and isinstance(words.get("id"), str) else None


def target_entries(info: SessionInfo, ctx: Context) -> list[dict[str, Any]]:
    """The run's Observation and one per target (entries), for a targets session."""
    tg = run_of(info.session)
    if tg is None:
        return []
    members = []
    for i, r in enumerate(tg["results"]):
        comps = [
            _component(name, code, unit, r)
            for name, (code, unit) in FIELDS.items()
            if r.get(name) is not None
        ]
        obs = info.observation(
            ctx,
            concept("target-result", text=f"{info.name}: target {r.get('index')}"),
            effectiveDateTime=info.at(float(r.get("shown_s") or 0.0)),
            valueBoolean=bool(r.get("hit")),
            component=comps,
        )
        members.append((ctx.ids.url("target", f"{info.session.id}/{i}"), obs))
    comps = [
        component(code, _value(key, tg.get(key), unit))
        for key, (code, unit) in RUN.items()
        if tg.get(key) is not None
    ]
    for hand, h in (tg.get("hands") or {}).items():
        if hand in ("left", "right") and isinstance(h, dict):
            comps += [
                component(f"targets-shown-{hand}", int(h.get("targets") or 0)),
                component(f"targets-hit-{hand}", int(h.get("hits") or 0)),
            ]
    run = info.observation(
        ctx,
        concept("targets-run", text=f"{info.name}: targets"),
        effectivePeriod={"start": info.at(0.0)},
        valueInteger=sum(1 for r in tg["results"] if r.get("hit")),
        component=comps,
        hasMember=[ref(url) for url, _ in members],
    )
    run_url = ctx.ids.url("targets", info.session.id)
    return [ctx.entry(run_url, run), *(ctx.entry(url, obs) for url, obs in members)]


def read_run(run: dict[str, Any], targets: list[dict[str, Any]], task: str) -> dict[str, Any]:
    """The session summary's `targets` from the run's Observation and its targets'."""
    from scoring.events import TargetResult, json_safe
    from scoring.targets import compare_hands

    summary: dict[str, Any] = {
        "task": task,
        "layout": None,
        "level": None,
        "seed": None,
        "frame_interval_s": None,
        "latency_s": None,
    }
    by_code = {code: key for key, (code, _) in RUN.items()}
    for code, c in components(run):
        if code in by_code:
            summary[by_code[code]] = read_value(c)
    if summary["seed"] is not None:
        summary["seed"] = int(summary["seed"])
    results = []
    for obs in targets:
        r: dict[str, Any] = {"kind": "TargetResult"} | dict.fromkeys(FIELDS)
        r["hit"] = bool(obs.get("valueBoolean"))
        for code, c in components(obs):
            if code in _BY_CODE:
                r[_BY_CODE[code]] = read_value(c)
                words = _words(c)
                if words is not None:
                    r.setdefault("say", {})[_BY_CODE[code]] = words
        results.append(r)
    names = [f.name for f in dataclasses.fields(TargetResult)]
    events = [TargetResult(**_fields(r, names)) for r in results]
    order = ["task", "layout", "level", "seed", "frame_interval_s", "latency_s"]
    return {k: summary[k] for k in order} | {
        "shown": [],
        "results": results,
        "hands": json_safe(compare_hands(events)),
    }


def _fields(read: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """A result's dataclass fields as read back: a missing number is NaN, as when measured."""
    return {n: float("nan") if read.get(n) is None else read[n] for n in names}
