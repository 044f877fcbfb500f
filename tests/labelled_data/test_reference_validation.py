"""Personal references judged against UI-PRMD's labels, leave one out, on real files."""

from __future__ import annotations

from pathlib import Path

from exercises import load_exercise
from labelled_data.reference_validation import (
    ANY_BOTH,
    ANY_REF,
    FileProfiles,
    evaluate_uiprmd_reference,
    leave_one_out,
    robustness,
)
from labelled_data.validate import Verdict


def _file(ident: str, subject: str, rep: str, faulty: bool, lean: float) -> FileProfiles:
    verdict = Verdict(ident, "incorrect" if faulty else "correct", faulty, 1, frozenset())
    return FileProfiles(ident, subject, rep, faulty, [{"trunk_lean": lean}], verdict)


def test_a_file_never_enters_its_own_reference() -> None:
    squat = load_exercise("squat")
    files = [_file(f"s1_e{i}", "1", str(i), False, 30.0 + i) for i in range(1, 5)]
    files.append(_file("s1_bad_e1", "1", "1", True, 60.0))
    files.append(_file("s2_e1", "2", "1", False, 10.0))  # another subject: never mixed in
    refs = leave_one_out(squat, files)
    first = refs["s1_e1"]
    assert first is not None and first.reps == 3
    assert first.limits["trunk_lean"].mean == 33.0  # reps 2, 3, 4 only
    # The incorrect file of repetition 1 gets the same reference: its namesake is left out.
    assert refs["s1_bad_e1"] == first
    assert refs["s2_e1"] is None  # one correct file: too few for a reference


def test_references_separate_one_subjects_reps(shared_data: Path) -> None:
    root = shared_data / "labelled" / "ui_prmd_kinect"
    results = evaluate_uiprmd_reference(root, limit=10)  # subject 1's files
    assert len(results) == 3
    for r in results:
        rows = {s.fault: s for s in r.scores}
        assert rows[ANY_REF].n_correct == 10 and rows[ANY_REF].n_incorrect == 10
        assert rows[ANY_REF].balanced_accuracy >= 0.9, r.dataset
        assert rows[ANY_BOTH].sensitivity >= rows[ANY_REF].sensitivity
    # The robustness check at the adopted limits gives the same figures; looser limits
    # cannot flag fewer incorrect files.
    grid = robustness(root, [(3.0, 1.0), (2.0, 0.5)], limit=10)
    for r in results:
        movement = r.dataset.split()[1]
        same = next(s for m, k, f, s in grid if m == movement and k == 3.0)
        loose = next(s for m, k, f, s in grid if m == movement and k == 2.0)
        both = next(s for s in r.scores if s.fault == ANY_BOTH)
        assert same.balanced_accuracy == both.balanced_accuracy
        assert loose.sensitivity >= same.sensitivity
