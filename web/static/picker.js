// The exercise picker on the live page: the patient's own program first ("Your exercises"),
// then the library grouped by body area, "Any repeated movement" last; a search box filters by
// name, area and tags as the patient types and announces how many match. Keyboard users reach
// the search first, so any exercise is a word and a Tab away.
import { $, setText, show } from "./common.js";
import { mountDemos } from "./demo.js";
import { lang, t, tn, tp, words } from "./i18n.js";

// Area ids (the definitions' `area` field) in the order shown, with the words the patient sees.
const AREAS = [
  ["legs", t("Legs and hips")],
  ["arms", t("Arms and shoulders")],
  ["balance", t("Balance")],
  ["posture", t("Posture")],
  ["whole_body", t("Whole body")],
  ["other", t("Other movements")],
];
const AREA_NAMES = new Map(AREAS);
const nameOf = (ex) => t(ex.name);

function describe(ex, planned) {
  if (planned) return t("{amount} · from your therapist", { amount: words(planned.amount, planned.say?.amount) });
  if (ex.kind === "hold") return tn("Hold for {n} second", "Hold for {n} seconds", Math.round(ex.hold_s));
  if (ex.kind === "any") return t("Any movement you repeat");
  if (ex.kind === "targets") return t("Reach for targets on the screen");
  return ex.reps ? tn("{n} set of {reps}", "{n} sets of {reps}", ex.sets, { reps: ex.reps }) : t("Repetitions");
}

function card(ex, planned) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.className = "card";
  a.href = `/?exercise=${encodeURIComponent(ex.id)}`;
  a.dataset.exercise = ex.id;
  const title = document.createElement("strong");
  title.textContent = nameOf(ex);
  const meta = document.createElement("span");
  meta.className = "muted";
  meta.textContent = describe(ex, planned);
  const text = document.createElement("p");
  text.textContent = t(ex.instructions);
  a.append(title, meta);
  if (ex.kind !== "targets") { // a targets task has no stick-figure demonstration
    const demo = document.createElement("div");
    demo.className = "demo-slot small";
    demo.dataset.demo = ex.id;
    a.append(demo);
  }
  a.append(text);
  li.append(a);
  return li;
}

function group(id, title, items) {
  const section = document.createElement("section");
  section.className = "group";
  section.dataset.group = id;
  const h = document.createElement("h2");
  h.id = `group-${id}`;
  h.textContent = title;
  const ul = document.createElement("ul");
  ul.className = "cards";
  ul.setAttribute("aria-labelledby", h.id);
  ul.append(...items);
  section.append(h, ul);
  return section;
}

// How well an exercise matches the typed words: 0 = not at all; higher first.
export function matchRank(ex, query) {
  const q = query.trim().toLocaleLowerCase(lang);
  if (!q) return 1;
  const name = nameOf(ex).toLocaleLowerCase(lang);
  if (name.startsWith(q)) return 5;
  if (name.split(/[\s-]+/).some((w) => w.startsWith(q))) return 4;
  if (name.includes(q)) return 3;
  const area = (AREA_NAMES.get(ex.area) || "").toLocaleLowerCase(lang);
  if (area.split(/\s+/).some((w) => w.startsWith(q))) return 2;
  // A tag in the page's language or as written (a therapist's own definition's).
  const tags = (ex.tags || []).flatMap((tag) => [tp("tag", tag), tag]);
  if (tags.some((tag) => tag.toLocaleLowerCase(lang).split(/\s+/).some((w) => w.startsWith(q)))) {
    return 1;
  }
  return 0;
}

// The library in the picker's order: program rows first, then by area, the generic one last.
export function grouped(exercises, program) {
  const planned = new Map(program.map((row) => [row.exercise_id, row]));
  const byId = new Map(exercises.map((ex) => [ex.id, ex]));
  const mine = program.map((row) => byId.get(row.exercise_id)).filter(Boolean);
  const rest = exercises.filter((ex) => !planned.has(ex.id));
  const groups = [];
  if (mine.length) groups.push(["mine", t("Your exercises"), mine]);
  for (const [id, title] of AREAS) {
    const items = rest
      .filter((ex) => (AREA_NAMES.has(ex.area) ? ex.area : "other") === id)
      .sort((a, b) => (a.kind === "any") - (b.kind === "any") || nameOf(a).localeCompare(nameOf(b), lang));
    if (items.length) groups.push([id, title, items]);
  }
  return { groups, planned };
}

async function fetchProgram() {
  try {
    const res = await fetch("/api/me/program", { credentials: "same-origin" });
    if (!res.ok) return []; // no store on this server, or nobody signed in
    const rows = await res.json();
    return Array.isArray(rows) ? rows.filter((r) => r && typeof r.exercise_id === "string") : [];
  } catch {
    return [];
  }
}

function render(list, data, query) {
  const { groups, planned } = data;
  const q = query.trim();
  let sections;
  let count;
  if (!q) {
    sections = groups.map(([id, title, items]) =>
      group(id, title, items.map((ex) => card(ex, planned.get(ex.id)))));
    count = groups.reduce((n, g) => n + g[2].length, 0);
  } else {
    const all = groups.flatMap(([, , items]) => items);
    const order = new Map(all.map((ex, i) => [ex.id, i]));
    const hits = all
      .map((ex) => [ex, matchRank(ex, q)])
      .filter(([, rank]) => rank > 0)
      .sort((a, b) => b[1] - a[1] || order.get(a[0].id) - order.get(b[0].id))
      .map(([ex]) => ex);
    sections = hits.length
      ? [group("results", t("Exercises matching “{query}”", { query: q }), hits.map((ex) => card(ex, planned.get(ex.id))))]
      : [];
    count = hits.length;
  }
  list.replaceChildren(...sections);
  mountDemos(list);
  const status = $("picker-count");
  if (!q) setText(status, tn("{n} exercise.", "{n} exercises.", count));
  else if (count === 0) setText(status, t("No exercise matches “{query}”. Try another word.", { query: q }));
  else setText(status, tn("{n} exercise matches “{query}”.", "{n} exercises match “{query}”.", count, { query: q }));
}

let loaded = null;

export async function showPicker() {
  show($("picker"), true);
  show($("coach"), false);
  const list = $("exercise-list");
  const search = $("picker-search");
  const problem = $("picker-problem");
  try {
    if (!loaded) {
      const [res, program] = await Promise.all([fetch("/api/exercises"), fetchProgram()]);
      if (!res.ok) throw new Error(t("the server answered {status}", { status: res.status }));
      loaded = grouped(await res.json(), program);
    }
    show(problem, false);
    render(list, loaded, search.value);
    let timer = null;
    search.oninput = () => {
      clearTimeout(timer);
      timer = setTimeout(() => render(list, loaded, search.value), 150);
    };
    // Enter in the search box opens the best match.
    search.onkeydown = (ev) => {
      if (ev.key !== "Enter") return;
      clearTimeout(timer);
      render(list, loaded, search.value);
      const first = list.querySelector("a[data-exercise]");
      if (first) {
        ev.preventDefault();
        first.click();
      }
    };
  } catch (err) {
    setText(problem, t("Could not load the exercises: {problem}. Is the coach server running?", { problem: err.message }));
    show(problem, true);
  }
}
