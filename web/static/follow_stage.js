// The follow page's status line from a session's stage, in words for the therapist. Every
// stage the server shows ("setup", "active", "rest", "done"; coach/live/plan.py
// `shown_stage`) has its own words: only "setup" is "getting ready" (a finished set is not).
// The words come from the catalogs, in the page's language (docs/I18N.md).
import { t } from "./i18n.js";

export const STAGE_WORDS = {
  setup: () => t("Patient is getting ready"),
  live: () => t("Live"),
  paused: () => t("Live · paused"),
  rest: () => t("Resting between sets"),
  allDone: (sets) => t("All {sets} sets done: the patient may end the session", { sets }),
  setDone: () => t("Set done: the patient may end the session"),
};

/** `{text, kind}` of the status pill for a frame or hello's stage and set. */
export function stageStatus(stage, { paused = false, set = null } = {}) {
  const w = STAGE_WORDS;
  switch (stage) {
    case "setup": return { text: w.setup(), kind: "live" };
    case "active": return { text: paused ? w.paused() : w.live(), kind: "live" };
    case "rest": return { text: w.rest(), kind: "live" };
    case "done": return { text: set && set.sets > 1 ? w.allDone(set.sets) : w.setDone(), kind: "live" };
    default: return { text: w.live(), kind: "live" };
  }
}
