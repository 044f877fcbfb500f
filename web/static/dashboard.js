// The therapist's dashboard: "Exercising now" kept up to date by the server's event stream
// (web/routes/dashboard.py, Server-Sent Events). Without it (no EventSource, too many tabs,
// signed out) the list stays as the page was served, with its "Check again" link.
const box = document.getElementById("live-now");
const note = document.getElementById("live-note");

function item(row) {
  const li = document.createElement("li");
  const who = document.createElement("strong");
  who.textContent = row.patient;
  const what = row.getting_ready ? "getting ready for" : "doing";
  const follow = document.createElement("a");
  follow.className = "button";
  follow.href = `/follow/${encodeURIComponent(row.session_id)}`;
  follow.textContent = `Follow ${row.patient}`;
  li.append(who, ` is ${what} ${row.exercise} (started ${row.since}) · `, follow);
  return li;
}

function render(rows) {
  if (!rows.length) {
    const p = document.createElement("p");
    p.className = "muted";
    p.id = "live-empty";
    p.textContent = "None of your patients is exercising right now.";
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
    a.textContent = "Check again";
    note.append(" ", a);
  }
}

if (box && note && "EventSource" in window) {
  const stream = new EventSource(box.dataset.stream);
  stream.addEventListener("open", () => {
    box.dataset.live = "1";
    say("This list updates by itself.", false);
  });
  stream.addEventListener("live", (ev) => render(JSON.parse(ev.data)));
  const stop = (why) => {
    stream.close();
    box.dataset.live = "0";
    say(why, true);
  };
  stream.addEventListener("signed-out", () => stop("Signed out: this list no longer updates."));
  stream.addEventListener("busy", () => stop("Too many dashboards open: this one does not update."));
  stream.addEventListener("error", () => {
    if (stream.readyState === EventSource.CLOSED) stop("This list no longer updates by itself.");
    else say("Reconnecting…", true);
  });
}
