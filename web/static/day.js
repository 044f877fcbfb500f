// The signed-in patient's day, for the live page (GET /api/me/today, web/routes/patient.py):
// which of the program's exercises are done today, what comes next, and whether pain is still
// to be asked. Anyone else (a try-out, no store on this server) gets {patient: false}.

const NOBODY = { patient: false };

/** The day as the server sees it now; {patient: false} when that cannot be known. */
export async function fetchDay(fetchImpl = fetch) {
  try {
    const res = await fetchImpl("/api/me/today", { credentials: "same-origin" });
    if (!res.ok) return NOBODY;
    const day = await res.json();
    return day && typeof day === "object" && day.patient === true ? day : NOBODY;
  } catch {
    return NOBODY;
  }
}

/** The exercise to do after `exerciseId`: the next one of the program not done today, in the
 * program's order (wrapping round), that exercise itself only if nothing else is left. */
export function nextAfter(day, exerciseId) {
  const rows = (day && Array.isArray(day.program) ? day.program : []).filter((r) => r.known);
  const here = rows.findIndex((r) => r.exercise_id === exerciseId);
  const order = here < 0 ? rows : [...rows.slice(here + 1), ...rows.slice(0, here + 1)];
  return order.find((r) => !r.done) || null;
}

/** The day after a session, once the store has what the session did: a session whose plan
 * was completed may take a moment to show as done (its last results are written as it ends),
 * so ask again a few times while it does not. */
export async function dayAfter(exerciseId, completed, { fetchImpl = fetch, waitMs = 600, tries = 5 } = {}) {
  let day = await fetchDay(fetchImpl);
  for (let i = 1; i < tries && completed && day.patient; i += 1) {
    const row = (day.program || []).find((r) => r.exercise_id === exerciseId);
    if (!row || row.done) break;
    await new Promise((done) => setTimeout(done, waitMs));
    day = await fetchDay(fetchImpl);
  }
  return day;
}
