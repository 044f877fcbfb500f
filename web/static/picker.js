// The exercise picker on the live page: the patient's own program first ("Your exercises"),
// then the library grouped by body area, "Any repeated movement" last; a search box filters by
// name, area and tags as the patient types and announces how many match. Keyboard users reach
// the search first, so any exercise is a word and a Tab away.
import { $, setText, show } from "./common.js";
import { mountDemos } from "./demo.js";

// Area ids (the definitions' `area` field) in the order shown, with the words the patient sees.
const AREAS = [
  ["legs", "Legs and hips"],
  ["arms", "Arms and shoulders"],
  ["balance", "Balance"],
  ["posture", "Posture"],
  ["whole_body", "Whole body"],
  ["other", "Other movements"],
];
const AREA_NAMES = new Map(AREAS);

function describe(ex, planned) {
  if (planned) return `${planned.amount} · from your therapist`;
  if (ex.kind === "hold") return `Hold for ${Math.round(ex.hold_s)} seconds`;
  if (ex.kind === "any") return "Any movement you repeat";
  if (ex.kind === "targets") return "Reach for targets on the screen";
  return ex.reps ? `${ex.sets} sets of ${ex.reps}` : "Repetitions";
}

function card(ex, planned) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.className = "card";
  a.href = `/?exercise=${encodeURIComponent(ex.id)}`;
  a.dataset.exercise = ex.id;
  const title = document.createElement("strong");
  title.textContent = ex.name;
  const meta = document.createElement("span");
  meta.className = "muted";
  meta.textContent = describe(ex, planned);
  const text = document.createElement("p");
  text.textContent = ex.instructions;
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
  const q = query.trim().toLowerCase();
  if (!q) return 1;
  const name = ex.name.toLowerCase();
  if (name.startsWith(q)) return 5;
  if (name.split(/[\s-]+/).some((w) => w.startsWith(q))) return 4;
  if (name.includes(q)) return 3;
  const area = (AREA_NAMES.get(ex.area) || "").toLowerCase();
  if (area.split(/\s+/).some((w) => w.startsWith(q))) return 2;
  if ((ex.tags || []).some((t) => t.toLowerCase().split(/\s+/).some((w) => w.startsWith(q)))) {
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
  if (mine.length) groups.push(["mine", "Your exercises", mine]);
  for (const [id, title] of AREAS) {
    const items = rest
      .filter((ex) => (AREA_NAMES.has(ex.area) ? ex.area : "other") === id)
      .sort((a, b) => (a.kind === "any") - (b.kind === "any") || a.name.localeCompare(b.name));
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
      ? [group("results", `Exercises matching “${q}”`, hits.map((ex) => card(ex, planned.get(ex.id))))]
      : [];
    count = hits.length;
  }
  list.replaceChildren(...sections);
  mountDemos(list);
  const status = $("picker-count");
  if (!q) setText(status, `${count} exercises.`);
  else if (count === 0) setText(status, `No exercise matches “${q}”. Try another word.`);
  else setText(status, `${count} ${count === 1 ? "exercise matches" : "exercises match"} “${q}”.`);
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
      if (!res.ok) throw new Error(`the server answered ${res.status}`);
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
    setText(problem, `Could not load the exercises: ${err.message}. Is the coach server running?`);
    show(problem, true);
  }
}
