// web/static/speech.js with a fake synthesiser and a fake clock: the queue never drops a count
// or the end of a set, says kept lines in the order they came (the safety warning first), and
// lets cues be cut short, replaced, go stale and not repeat; every line in the page's language,
// by a voice of that language, or none said where the browser has no such voice.
import { PRIORITY, Speaker, expectedMs, voiceFor } from "/static/speech.js";
import { FakeClock, assert, equal, test } from "./harness.js";

/** The browser's synthesiser, played by the test: `finish()` ends what is being said. */
class FakeSynth {
  constructor() {
    this.spoken = []; // every text handed to speak(), in order
    this.current = null;
    this.queue = [];
    this.cancelled = 0;
  }

  get speaking() { return !!this.current; }

  get pending() { return this.queue.length > 0; }

  speak(u) {
    this.spoken.push(u.text);
    if (this.current) this.queue.push(u);
    else this.current = u;
  }

  cancel() {
    this.cancelled += 1;
    const cut = [this.current, ...this.queue].filter(Boolean);
    this.current = null;
    this.queue = [];
    for (const u of cut) u.onerror?.({ error: "interrupted" }); // as Chromium reports it
  }

  /** The utterance being said comes to its end. */
  finish() {
    const u = this.current;
    this.current = this.queue.shift() || null;
    u?.onend?.();
  }
}

class FakeUtterance {
  constructor(text) {
    this.text = text;
  }
}

function speaker(toggle = null) {
  const synth = new FakeSynth();
  const clock = new FakeClock();
  return { synth, clock, speaker: new Speaker(toggle, { synth, Utterance: FakeUtterance, clock }) };
}

test("a count cuts a cue short; the set's end waits for the count, then is said", () => {
  const { synth, speaker: s } = speaker();
  s.say("Keep your chest up", PRIORITY.cue, { keep: false });
  s.say("3", PRIORITY.count);
  s.say("Well done, that's the set!", PRIORITY.count);
  equal(synth.spoken, ["Keep your chest up", "3"], "the count at once");
  equal(synth.cancelled, 1, "the cue cut short");
  synth.finish();
  equal(synth.spoken, ["Keep your chest up", "3", "Well done, that's the set!"], "then the set's end");
});

test("a question asked first does not drop the set's end (issue 22): both, in order", () => {
  const { synth, speaker: s } = speaker();
  s.say("How hard was set 1? 0 = no effort at all, 10 = the hardest you could do.", PRIORITY.help);
  s.say("3. Set 1 done. Rest for 10 seconds.", PRIORITY.count);
  equal(synth.cancelled, 0, "nothing kept is cut off");
  synth.finish();
  equal(synth.spoken.at(-1), "3. Set 1 done. Rest for 10 seconds.", "said after the question");
});

test("kept lines in the order they came, never dropped, never cut off", () => {
  const { synth, speaker: s } = speaker();
  const lines = ["1", "2", "3. Set 1 done. Rest for 10 seconds.", "Message from your therapist: good", "Set 2. Start when you are ready."];
  s.say(lines[0], PRIORITY.count);
  s.say(lines[1], PRIORITY.count);
  s.say(lines[2], PRIORITY.count);
  s.say(lines[3], PRIORITY.therapist);
  s.say(lines[4], PRIORITY.count);
  for (let i = 0; i < 5; i += 1) synth.finish();
  equal(synth.spoken, lines, "all of them, in order");
  equal(synth.cancelled, 0, "none cut off");
});

test("the same count again is said again (kept lines are never de-duplicated)", () => {
  const { synth, speaker: s } = speaker();
  s.say("1", PRIORITY.count);
  synth.finish();
  s.say("1", PRIORITY.count); // set 2's first rep, a second later
  equal(synth.spoken, ["1", "1"], "twice");
});

test("the safety warning goes ahead of every waiting line, without cutting a count off", () => {
  const { synth, speaker: s } = speaker();
  s.say("2", PRIORITY.count);
  s.say("3", PRIORITY.count);
  s.say("Knees out", PRIORITY.cue, { keep: false });
  s.say("Not so far: stay within your limit", PRIORITY.safety);
  equal(synth.spoken, ["2"], "the count goes on");
  synth.finish();
  equal(synth.spoken.at(-1), "Not so far: stay within your limit", "safety next");
  synth.finish();
  equal(synth.spoken.at(-1), "3", "then the waiting count");
  synth.finish();
  equal(synth.spoken.at(-1), "Knees out", "the cue last");
});

test("only the newest cue waits, and a cue that waited too long is not said", () => {
  const { synth, clock, speaker: s } = speaker();
  s.say("Message from your therapist: keep going", PRIORITY.therapist);
  s.say("Knees out", PRIORITY.cue, { keep: false });
  s.say("Chest up", PRIORITY.cue, { keep: false });
  synth.finish();
  equal(synth.spoken, ["Message from your therapist: keep going", "Chest up"], "the newest cue only");
  synth.finish();
  s.say("Message from your therapist: slower please, and keep your back straight", PRIORITY.therapist);
  s.say("Slow down", PRIORITY.cue, { keep: false });
  clock.advance(4500); // the message takes long; the cue is no longer about now
  synth.finish();
  assert(!synth.spoken.includes("Slow down"), `stale cue said: ${synth.spoken}`);
});

test("a more urgent cue cuts a cue short; a cue is not repeated within 6 s", () => {
  const { synth, clock, speaker: s } = speaker();
  s.say("Chest up", PRIORITY.cue, { keep: false });
  s.say("I can't see your feet", PRIORITY.help, { keep: false });
  equal(synth.spoken, ["Chest up", "I can't see your feet"], "cut short");
  synth.finish();
  s.say("I can't see your feet", PRIORITY.help, { keep: false });
  equal(synth.spoken.length, 2, "not again so soon");
  clock.advance(6000);
  s.say("I can't see your feet", PRIORITY.help, { keep: false });
  equal(synth.spoken.length, 3, "again after 6 s");
});

test("a synthesiser that never says it is done: the next line after the expected time", () => {
  const { synth, clock, speaker: s } = speaker();
  s.say("3. Set 1 done. Rest for 10 seconds.", PRIORITY.count);
  s.say("How hard was set 1?", PRIORITY.help);
  clock.advance(expectedMs("3. Set 1 done. Rest for 10 seconds.") - 1);
  equal(synth.spoken.length, 1, "waits its turn");
  clock.advance(1);
  equal(synth.spoken.at(-1), "How hard was set 1?", "handed over anyway");
  equal(synth.cancelled, 0, "the first is not cut off (the synthesiser queues it)");
});

test("an utterance that fails moves the queue on", () => {
  const { synth, speaker: s } = speaker();
  s.say("1", PRIORITY.count);
  s.say("2", PRIORITY.count);
  const u = synth.current;
  synth.current = null;
  u.onerror({ error: "synthesis-failed" });
  equal(synth.spoken, ["1", "2"], "next said");
});

test("stop: silence, and nothing left waiting", () => {
  const { synth, speaker: s } = speaker();
  s.say("1", PRIORITY.count);
  s.say("2", PRIORITY.count);
  s.stop();
  equal(synth.cancelled, 1, "cancelled");
  synth.finish();
  equal(synth.spoken, ["1"], "nothing after the stop");
  s.say("3", PRIORITY.count);
  equal(synth.spoken, ["1", "3"], "speaks again afterwards");
});

test("the Speak to me switch: off says nothing and silences what was being said", () => {
  const toggle = document.getElementById("speech-toggle");
  toggle.checked = true;
  const { synth, speaker: s } = speaker(toggle);
  s.say("1", PRIORITY.count);
  toggle.checked = false;
  toggle.dispatchEvent(new Event("change"));
  equal(synth.cancelled, 1, "silenced");
  s.say("2", PRIORITY.count);
  equal(synth.spoken, ["1"], "nothing said while off");
  equal(localStorage.getItem("coach.speech"), "0", "remembered");
  localStorage.removeItem("coach.speech");
});

test("no synthesiser: nothing is said and the switch is off", () => {
  const toggle = document.getElementById("speech-toggle");
  const s = new Speaker(toggle, { synth: null, Utterance: null, clock: new FakeClock() });
  assert(!s.enabled && toggle.disabled && !toggle.checked, "off");
  s.say("1", PRIORITY.count); // no error
});

const VOICES = [
  { name: "English", lang: "en-US", default: true },
  { name: "Español (México)", lang: "es-MX" },
  { name: "Español", lang: "es_ES" },
  { name: "Deutsch", lang: "de-DE" },
];

test("a voice of the page's language is chosen, its region first", () => {
  equal(voiceFor(VOICES, "es-ES").name, "Español", "the same region");
  equal(voiceFor(VOICES, "es").name, "Español (México)", "any Spanish voice");
  equal(voiceFor(VOICES, "de").name, "Deutsch", "German");
  equal(voiceFor(VOICES, "ar"), null, "no Arabic voice");
});

test("each line is said in the language, by its voice", () => {
  const synth = Object.assign(new FakeSynth(), { getVoices: () => VOICES });
  const heard = [];
  synth.speak = (u) => heard.push([u.text, u.lang, u.voice && u.voice.name]);
  const found = [];
  const s = new Speaker(null, {
    synth, Utterance: FakeUtterance, clock: new FakeClock(), lang: "de", onVoice: (v) => found.push(v),
  });
  s.say("3", PRIORITY.count);
  equal(heard, [["3", "de", "Deutsch"]], "said in German by the German voice");
  equal(found.map((v) => v.name), ["Deutsch"], "the page told which voice");
});

test("no voice of the language: nothing is said, and the page is told so", () => {
  const synth = Object.assign(new FakeSynth(), { getVoices: () => VOICES });
  const found = [];
  const s = new Speaker(null, {
    synth, Utterance: FakeUtterance, clock: new FakeClock(), lang: "ar", onVoice: (v) => found.push(v),
  });
  s.say("3", PRIORITY.count);
  equal(synth.spoken, [], "English words' voice not used for Arabic");
  equal(found, [null], "told: no voice");
  assert(!s.enabled, "silent");
});
