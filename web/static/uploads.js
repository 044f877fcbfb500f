// Uploads a video without leaving the page and shows the analysis progress until it is done.
import { num, t, tp, words } from "./i18n.js";

const form = document.getElementById("upload-form");
const errorBox = document.getElementById("upload-error");
const jobs = document.getElementById("jobs");

function row(job) {
  let tr = jobs.querySelector(`tr[data-job="${job.id}"]`);
  if (!tr) {
    tr = document.createElement("tr");
    tr.dataset.job = job.id;
    tr.innerHTML = "<td></td><td></td><td><progress max='1' value='0'></progress> <span class='status'></span></td><td></td>";
    tr.cells[0].textContent = job.filename || "";
    jobs.prepend(tr);
  }
  return tr;
}

/** A job's status in the reader's words (an unknown one as it is). */
function status(code) {
  const known = {
    queued: tp("analysis job", "queued"),
    running: tp("analysis job", "running"),
    done: tp("analysis job", "done"),
    failed: tp("analysis job", "failed"),
  };
  return known[code] || code;
}

async function poll(id) {
  const r = await fetch(`/api/jobs/${id}`, { headers: { Accept: "application/json" } });
  if (!r.ok) return;
  const job = await r.json();
  const tr = row(job);
  tr.dataset.status = job.status;
  tr.querySelector("progress").value = job.progress;
  tr.querySelector(".status").textContent =
    job.status === "running"
      ? t("analysing {percent} %", { percent: num(Math.round(job.progress * 100)) })
      : status(job.status) + (job.error ? `: ${words(job.error)}` : "");
  if (job.status === "done" && job.session) {
    const open = document.createElement("a");
    open.href = `/sessions/${encodeURIComponent(job.session)}`;
    open.textContent = t("open");
    tr.cells[3].replaceChildren(open);
  } else if (job.status === "queued" || job.status === "running") {
    setTimeout(() => poll(id), 700);
  }
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  errorBox.hidden = true;
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const r = await fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" } });
    const body = await r.json().catch(() => ({ message: t("upload failed ({status})", { status: String(r.status) }) }));
    if (!r.ok) { errorBox.textContent = body.message || body.detail || t("upload failed"); errorBox.hidden = false; return; }
    row({ id: body.job, filename: form.video.files[0]?.name });
    poll(body.job);
  } finally { button.disabled = false; }
});

for (const tr of jobs.querySelectorAll("tr[data-job]")) {
  if (tr.dataset.status === "queued" || tr.dataset.status === "running") poll(tr.dataset.job);
}
