// A whole session on the live page in Spanish (the page rendered with <html lang="es"> and the
// Spanish catalog served as /i18n/es.json, as the app serves them): what the patient reads and
// hears, from the exercise before the start to the summary, is Spanish, whether the page
// builds the words (counts, sets, rest) or the server sends them as message ids (setup, cues,
// errors: scoring/words.py). Run by tests/web/test_patient_modules.py on unit-es.html.
import { english, lang } from "/static/i18n.js";
import { BalanceView, WORDS as BALANCE_WORDS } from "/static/balance.js";
import { TugView, WORDS as TUG_WORDS } from "/static/tug.js";
import { WORDS as FOLLOW_WORDS, plainEvent, summaryLine } from "/static/follow_words.js";
import { STAGE_WORDS, stageStatus } from "/static/follow_stage.js";
import { FakeSpeaker, assert, equal, shown, test, text } from "./harness.js";
import { SQUAT, frame, livePage, rep, session } from "./live_page.js";

// Words that would only be there in English.
const ENGLISH = /\b(the|you|your|Set|Rest|done|Well|Start|Step|Reps?|seconds?|Connected)\b/;

function spanishOnly(lines, what) {
  for (const line of lines) assert(!ENGLISH.test(line), `${what}: English in "${line}"`);
}

const FEET = { id: "Step back: I can't see your {parts}.", params: { parts: [{ id: "feet", context: "body part" }] } };

test("the page is Spanish before the session starts", () => {
  equal(lang, "es", "the page's language");
  const p = livePage({ ...SQUAT, reps: 5, sets: 2 });
  equal(text("exercise-name"), "Sentadilla", "name");
  equal(document.title, "Sentadilla – Coach", "title");
  equal(text("view-advice"), "Póngase de lado a la cámara (gire un cuarto de vuelta). La cámara debe ver"
    + " todo su cuerpo, de la cabeza a los pies.", "advice");
  p.ws.receive(session());
  equal(text("connection"), "Conectado con el entrenador.", "connection line");
});

test("a whole session: setup, reps, a set's end, the rest, the last set, the summary", () => {
  const p = livePage({ ...SQUAT, reps: 5, sets: 2 });
  p.ws.receive(session());
  const setup = {
    stage: "setup",
    setup: { ok: false, message: "Step back: I can't see your feet.", say: { message: FEET } },
  };
  for (let i = 0; i < 13; i += 1) {
    p.ws.receive(frame(setup));
    p.clock.advance(1000);
  }
  assert(shown("stand-help"), "how to stand shown");
  equal(text("stand-why"), "Todavía no puedo contar: Dé un paso atrás: no veo sus pies.", "why");
  const knees = { id: "Keep your knees over your toes" };
  p.ws.receive(frame({
    stage: "active",
    cue: "Keep your knees over your toes",
    say: { cue: knees },
    events: [{ kind: "Cue", t: 1, text: "Keep your knees over your toes", priority: 4, source: "fault",
      say: { text: knees } }],
  }));
  equal(text("cue"), "Mantenga las rodillas sobre los dedos de los pies", "cue shown");
  p.ws.receive(frame({ rep_count: 1, events: [rep(1)] }));
  equal(text("last-rep"), "Repetición 1: amplitud 85°, puntuación 91", "last rep");
  const set = { set: 2, sets: 2, per_set: 5, done: 0, complete: false };
  p.ws.receive(frame({
    stage: "rest", rep_count: 5, set, rest: { left_s: 59.2, next_set: 2 },
    events: [rep(5), { kind: "SetCompleted", set: 1, sets: 2, rest_s: 60 }],
  }));
  equal(text("set-progress"), "Serie 1 de 2 hecha", "progress");
  equal(text("next-set"), "Empezar la serie 2 ahora", "rest button");
  p.ws.receive(frame({ stage: "active", rep_count: 5, set, events: [{ kind: "RestEnded", set: 2 }] }));
  const last = { set: 2, sets: 2, per_set: 5, done: 5, complete: true };
  p.ws.receive(frame({ rep_count: 10, set: last, events: [rep(10), { kind: "AllSetsDone" }] }));
  const said = p.speaker.words;
  assert(said.includes("Mantenga las rodillas sobre los dedos de los pies"), `said: ${JSON.stringify(said)}`);
  assert(said.includes("5. Serie 1 hecha. Descanse 60 segundos."), `said: ${JSON.stringify(said)}`);
  assert(said.includes("Serie 2. Empiece cuando esté listo."), `said: ${JSON.stringify(said)}`);
  assert(said.includes("5. Todas las series hechas. ¡Muy bien!"), `said: ${JSON.stringify(said)}`);
  p.ws.receive({
    type: "summary",
    summary: {
      rep_count: 10, holds_completed: 0, set: { complete: true, sets: 2 },
      reps: [{ over_limit: true }, { over_limit: false }],
      faults: [{ id: "knees_in", message: "Knee caving inward" }],
    },
  });
  equal(text("summary"), "Terminado: 2 series, 10 repeticiones. ¡Muy bien! 1 repetición pasó su límite:"
    + " la próxima vez, no tanto. A mejorar: La rodilla se va hacia dentro.", "summary");
  equal(text("start"), "Empezar una sesión nueva", "button");
  spanishOnly(said, "said");
  spanishOnly([text("summary"), text("connection"), text("cue"), text("set-progress")], "shown");
});

test("the server's errors and a session that counted nothing are Spanish", () => {
  const p = livePage();
  p.ws.receive(session());
  p.ws.receive({
    type: "error", code: "processing_failed", fatal: false, seq: 3,
    message: "This frame failed: engine hiccup",
    say: { message: { id: "This frame failed: {error}", params: { error: "engine hiccup" } } },
  });
  p.ws.receive({
    type: "summary",
    summary: {
      rep_count: 0,
      no_count_reason: "Counting never started: Step back: I can't see your feet.",
      say: { no_count_reason: { id: "Counting never started: {why}", params: { why: FEET } } },
    },
  });
  assert(text("summary").startsWith("No se contó nada. El recuento nunca empezó: Dé un paso atrás: no veo"
    + " sus pies. La próxima vez: Póngase de lado"), text("summary"));
  spanishOnly([text("summary")], "summary");
});

// Every word of a clinical test's table (balance.js's WORDS), each entry called with sample
// numbers, in Spanish and in English (i18n.js's english()): a message missing from the Spanish
// catalog would be the same in both.
function everyWord(table, args = [2, 3, "postura"]) {
  const out = [];
  for (const value of Object.values(table)) {
    if (typeof value === "function") {
      const both = [value(...args), english(() => value(...args))];
      if (typeof both[0] === "string") out.push(both);
      else if (both[0] && typeof both[0] === "object") {
        for (const key of Object.keys(both[0])) out.push([both[0][key], both[1][key]]);
      }
    } else if (value && typeof value === "object") out.push(...everyWord(value, args));
  }
  return out;
}

export function translatedWords(table, what) {
  const pairs = everyWord(table).filter(([, en]) => /[a-z]{2}/i.test(en));
  assert(pairs.length > 10, `${what}: only ${pairs.length} words`);
  for (const [es, en] of pairs) assert(es !== en, `${what}: "${en}" is not in the Spanish catalog`);
  spanishOnly(pairs.map(([es]) => es.replace("CDC STEADI", "")), what);
}

test("the balance test's words are Spanish, on the page and said", () => {
  translatedWords(BALANCE_WORDS, "balance words");
  const speaker = new FakeSpeaker();
  const v = new BalanceView({ speaker, send: () => {} });
  v.showCoach({ id: "four_stage_balance", name: "Four-stage balance test" });
  v.handle({ type: "session", balance: { hold_s: 10, fall_risk_below_stage: 3, source: "CDC STEADI",
    stages: [{ stage: 1, id: "feet_together", demo: "feet_together_stance" }, { stage: 2, id: "semi_tandem", demo: "semi_tandem_stance" }] } });
  equal(text("balance-stage"), "Postura 1 de 2: postura con los pies juntos", "stage");
  v.handle({ type: "frame", t: 20, events: [
    { kind: "StageEnded", stage: 1, id: "feet_together", held_s: 10, hold_s: 10, passed: true, reason: "held" },
    { kind: "StageEnded", stage: 2, id: "semi_tandem", held_s: 1.2, hold_s: 10, passed: false, reason: "stepped" },
    { kind: "BalanceDone", last_stage_passed: 1, stages: 2, fall_risk: true },
  ] });
  equal(text("balance-result"), "Movió un pie. Mantuvo la primera postura 10 segundos. Mantuvo la postura en"
    + " semitándem 1 segundo: menos de 10 segundos se asocia a un mayor riesgo de caída.", "result");
  equal(text("balance-source"), "Fuente: CDC STEADI", "source");
  spanishOnly(speaker.words, "said");
});

test("the Timed Up and Go's words are Spanish, on the page and said", () => {
  translatedWords(TUG_WORDS, "Timed Up and Go words");
  const speaker = new FakeSpeaker();
  const v = new TugView({ speaker });
  v.showCoach({ id: "timed_up_and_go", name: "Timed Up and Go" });
  v.handle({ type: "session", tug: { fall_risk_s: 12, source: "CDC STEADI" } });
  v.handle({ type: "frame", t: 2, events: [{ kind: "TugReady", t: 2 }] });
  equal(text("tug-clock"), "¡Ya!", "Go");
  v.handle({ type: "frame", t: 16, events: [{ kind: "TugDone", t: 16, total_s: 12.46, fall_risk_s: 12, fall_risk: true, reason: "seated" }] });
  equal(text("tug-clock"), "12,5 s", "the total, in Spanish digits and separators");
  spanishOnly([text("tug-result"), text("exercise-instructions"), ...speaker.words], "shown and said");
});

// The follow page (follow.js) in a Spanish-speaking therapist's browser: every word of its
// table, its status line and its log, from the server's ids and numbers.
test("the follow page's words are Spanish: log, status and summary", () => {
  translatedWords({ ...FOLLOW_WORDS, stages: STAGE_WORDS }, "follow page words and stages");
  const faults = { knee_valgus: "Keep your knees over your toes" };
  const lines = [
    plainEvent({ kind: "RepCompleted", index: 3, rom_deg: 84.6, faults: ["knee_valgus"], over_limit: true }, faults),
    plainEvent({ kind: "RepCompleted", index: 4, rom_deg: 90, faults: [] }, faults),
    plainEvent({ kind: "ViewWarning", expected: "side", detected: "front", message: "x", skipped_faults: ["knee_valgus"] }, faults),
    plainEvent({ kind: "Cue", text: "Step back: I can't see your feet.", say: { text: FEET } }),
    plainEvent({ kind: "TargetResult", index: 2, hand: "left", status: "miss", hit: false, reaction_s: 0.41 }),
    plainEvent({ kind: "PatientConnected", reconnect: true }),
    plainEvent({ kind: "TugDone", total_s: 12.46, fall_risk: true }),
    summaryLine({ rep_count: 8, holds_completed: 0, faults: ["knee_valgus"] }),
    summaryLine({ targets: { layout: "place", touched: 5, count: 8, hands: { left: { touched: 2, targets: 4 }, right: { touched: 3, targets: 4 } } } }),
    stageStatus("done", { set: { sets: 3 } }).text,
  ];
  equal(lines[0], "Repetición 3 hecha, amplitud 85°; a mejorar: Mantenga las rodillas sobre los dedos"
    + " de los pies; superó el límite de amplitud", "a rep, its fault in the exercise's words");
  equal(lines[3], "El entrenador dijo: «Dé un paso atrás: no veo sus pies.»", "a cue, from its message");
  equal(lines[4], "Objetivo 2 (mano izquierda): fallado: reacción 0,41 s", "a target's result");
  spanishOnly(lines, "follow log");
});
