// The therapist's program form: when a row's exercise changes, its sets, reps and hold become
// that exercise's own dose (a hold: one hold of its target time; a targets task: rounds, no
// reps), from the data the server put on each option (web/routes/program_form.py).
const form = document.querySelector("[data-testid=program-form]");

function row(select) {
  return select.closest("tr");
}

function fill(select) {
  const option = select.selectedOptions[0];
  if (!option || !option.dataset.kind) return;
  const tr = row(select);
  const set = (name, value) => {
    const input = tr.querySelector(`input[name^="${name}_"]`);
    if (input) input.value = value;
  };
  set("sets", option.dataset.sets);
  set("reps", option.dataset.reps);
  set("hold_s", option.dataset.hold);
  tr.dataset.kind = option.dataset.kind;
}

if (form) {
  for (const select of form.querySelectorAll("select[name^=exercise_]")) {
    select.addEventListener("change", () => fill(select));
  }
}
