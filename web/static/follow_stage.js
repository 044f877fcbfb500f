// The follow page's status line from a session's stage, in words for the therapist. Every
// stage the server shows ("setup", "active", "rest", "done"; coach/live/plan.py
// `shown_stage`) has its own words: only "setup" is "getting ready" (a finished set is not).

/** `{text, kind}` of the status pill for a frame or hello's stage and set. */
export function stageStatus(stage, { paused = false, set = null } = {}) {
  switch (stage) {
    case "setup": return { text: "Patient is getting ready", kind: "live" };
    case "active": return { text: paused ? "Live · paused" : "Live", kind: "live" };
    case "rest": return { text: "Resting between sets", kind: "live" };
    case "done": {
      const all = set && set.sets > 1 ? `All ${set.sets} sets done` : "Set done";
      return { text: `${all}: the patient may end the session`, kind: "live" };
    }
    default: return { text: "Live", kind: "live" };
  }
}
