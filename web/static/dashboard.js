// The therapist's dashboard: "Exercising now" kept up to date by the server's event stream
// (web/routes/dashboard.py, Server-Sent Events). Without it (no EventSource, too many tabs,
// signed out) the list stays as the page was served, with its "Check again" link.
import { t } from "./i18n.js";

const box = document.getElementById("live-now");
const note = document.getElementById("live-note");

function item(row) {
  const li = document.createElement("li");
  const who = document.createElement("strong");
  who.textContent = row.patient;
  const params = { patient: "\u0000", exercise: t(row.exercise), since: row.since };
  const words = row.getting_ready
    ? t("<strong>{patient}</strong> is getting ready for {exercise} (started {since})", params)
    : t("<strong>{patient}</strong> is doing {exercise} (started {since})", params);
  // The translation places the name (and its bold): the rest is text, never markup.
  const [before, after] = words.replace(/<\/?strong>/g, "").split("\u0000");
  const follow = document.createElement("a");
  follow.className = "button";
  follow.href = `/follow/${encodeURIComponent(row.session_id)}`;
  follow.textContent = t("Follow {patient}", { patient: row.patient });
  li.append(before ?? "", who, after ?? "", " · ", follow);
  return li;
}

function render(rows) {
  if (!rows.length) {
    const p = document.createElement("p");
    p.className = "muted";
    p.id = "live-empty";
    p.textContent = t("None of your patients is exercising right now.");
    box.replaceChildren(p);
  } else {
    const list = document.createElement("ul");
    list.className = "live-list";
    list.append(...rows.map(item));
    box.replaceChildren(list);
  }
  box.dataset.updated = String(Date.now());
}

function say(text, withLink) {
  note.replaceChildren(text);
  if (withLink) {
    const a = document.createElement("a");
    a.href = "/therapist";
    a.textContent = t("Check again");
    note.append(" ", a);
  }
}

if (box && note && "EventSource" in window) {
  const stream = new EventSource(box.dataset.stream);
  stream.addEventListener("open", () => {
    box.dataset.live = "1";
    say(t("This list updates by itself."), false);
  });
  stream.addEventListener("live", (ev) => render(JSON.parse(ev.data)));
  const stop = (why) => {
    stream.close();
    box.dataset.live = "0";
    say(why, true);
  };
  stream.addEventListener("signed-out", () => stop(t("Signed out: this list no longer updates.")));
  stream.addEventListener("busy", () => stop(t("Too many dashboards open: this one does not update.")));
  stream.addEventListener("error", () => {
    if (stream.readyState === EventSource.CLOSED) stop(t("This list no longer updates by itself."));
    else say(t("Reconnecting…"), true);
  });
}
