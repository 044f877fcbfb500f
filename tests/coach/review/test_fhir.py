"""A patient's record as FHIR R4 (coach.review.fhir): the bundle of a patient with a program,
sessions scored by the real engine on real tracks, clinical tests and ratings validates with
the FHIR models (fhir.resources), says what it measured in the codes docs/FHIR.md promises
(LOINC where checked, ours published in the bundle), carries every measure's method and the
card's accuracy, and comes back whole: imported into an empty store, on SQLite and
PostgreSQL, it gives the same patient page data, and exporting it again gives the same bundle.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coach.cli import main
from coach.review.fhir import FhirImportError, import_bundle, patient_bundle, validate
from coach.review.fhir.terms import ABSENT, CODES, EXERCISES, LOINC
from coach.store import open_store
from coach.store.models import Patient
from coach.store.store import Store
from tests.coach.review.fhir_record import Record, build_record, page_data
from tests.servers import fresh_database

PASSWORD = "correct horse battery"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two fresh stores on one backend: the record's, and an empty one to import into."""
    if request.param == "sqlite":
        urls = [f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db")]
    else:
        base = request.getfixturevalue("postgres_url")
        urls = [fresh_database(base), fresh_database(base)]
    stores = [open_store(url) for url in urls]
    yield stores[0], stores[1]
    for s in stores:
        s.close()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Record]]:
    """The rich record in a SQLite store, for the tests that only read its bundle."""
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('fhir') / 'coach.db'}")
    ther = store.create_user("dr.t", "Dr Therese Tan", PASSWORD)
    yield store, build_record(store, ther.id)
    store.close()


@pytest.fixture(scope="module")
def bundle(recorded: tuple[Store, Record]) -> dict[str, Any]:
    store, rec = recorded
    return json.loads(json.dumps(patient_bundle(store, store.patient(rec.patient_id))))


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def our(cc: dict[str, Any], system: str = CODES) -> str | None:
    return next((c["code"] for c in cc.get("coding", []) if c["system"] == system), None)


def observations(bundle: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [o for o in resources(bundle, "Observation") if our(o["code"]) == code]


def parts(obs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {our(c["code"]): c for c in obs.get("component", [])}


# ---- the bundle ----------------------------------------------------------------------------
def test_the_bundle_validates_with_the_fhir_models(bundle: dict[str, Any]) -> None:
    parsed = validate(bundle)
    assert parsed.type == "collection"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    for kind in ("CodeSystem", "Device", "Practitioner", "Patient", "CarePlan", "Procedure"):
        assert kind in kinds
    assert kinds.count("Patient") == 1 and kinds.count("Procedure") == 8
    # Each resource parses on its own too (the model library checks every element's type).
    from fhir.resources.R4B import get_fhir_model_class

    for e in bundle["entry"]:
        get_fhir_model_class(e["resource"]["resourceType"]).model_validate(e["resource"])


def test_every_reference_resolves_and_every_value_or_its_absence(bundle: dict[str, Any]) -> None:
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls)) and all(u.startswith("urn:uuid:") for u in urls)
    refs = re.findall(r'"reference": "([^"]+)"', json.dumps(bundle))
    assert refs and set(refs) <= set(urls)
    for obs in resources(bundle, "Observation"):
        # obs-6: never a value and a reason it is absent (a repetition's values are its
        # components); each component has one or the other.
        assert not ("dataAbsentReason" in obs and any(k.startswith("value") for k in obs))
        for c in obs.get("component", []):
            assert any(k.startswith("value") for k in c) != ("dataAbsentReason" in c), c


def test_every_code_of_ours_is_published_in_the_bundle(bundle: dict[str, Any]) -> None:
    systems = {
        cs["url"]: {c["code"] for c in cs["concept"]} for cs in resources(bundle, "CodeSystem")
    }
    assert set(systems) == {CODES, EXERCISES}
    used = re.findall(r'\{"system": "([^"]+)", "code": "([^"]+)"', json.dumps(bundle))
    ours = [(s, c) for s, c in used if s in systems]
    assert len(ours) > 100
    assert [(s, c) for s, c in ours if c not in systems[s]] == []
    for cs in resources(bundle, "CodeSystem"):
        assert cs["content"] == "complete" and cs["count"] == len(cs["concept"])


def test_patient_and_program(bundle: dict[str, Any]) -> None:
    (patient,) = resources(bundle, "Patient")
    assert patient["name"] == [{"text": "Ada Lovelace-Byron"}]
    assert patient["gender"] == "female" and patient["birthDate"] == "1951"
    assert any("no kneeling" in str(e.get("valueString")) for e in patient["extension"])
    (plan,) = resources(bundle, "CarePlan")
    squat, abduction, stance = (a["detail"] for a in plan["activity"])
    assert our(squat["code"], EXERCISES) == "squat" and squat["description"] == "slowly"
    assert squat["scheduledTiming"]["repeat"] == {"frequency": 5, "period": 1, "periodUnit": "wk"}
    dose = {e["url"].rsplit("/", 1)[1]: e for e in squat["extension"]}
    assert (
        dose["exercise-sets"]["valueInteger"] == 3 and dose["exercise-reps"]["valueInteger"] == 10
    )
    assert dose["exercise-rest"]["valueQuantity"] == {
        "value": 45.0,
        "unit": "s",
        "system": "http://unitsofmeasure.org",
        "code": "s",
    }
    assert dose["range-limit"]["valueQuantity"]["value"] == 110.0
    assert dose["target-range"]["valueQuantity"]["code"] == "deg"
    no_rest = {e["url"].rsplit("/", 1)[1] for e in abduction["extension"]}
    assert "exercise-rest" not in no_rest and "range-limit" not in no_rest  # none prescribed
    assert stance["extension"][2]["valueQuantity"]["value"] == 20.0  # hold 20 s


def test_sessions_reps_per_side_ranges_holds_and_faults(
    bundle: dict[str, Any], recorded: tuple[Store, Record]
) -> None:
    store, rec = recorded
    procs = {p["identifier"][0]["value"]: p for p in resources(bundle, "Procedure")}
    assert procs[rec.sessions["interrupted"]]["status"] == "stopped"
    assert our(procs[rec.sessions["interrupted"]]["statusReason"]) == "interrupted"
    assert procs[rec.sessions["failed"]]["statusReason"]["text"] == "No person in the video."
    assert procs[rec.sessions["left"]]["note"] == [
        {"text": "Step back: your feet are out of view."}
    ]
    counts = {o["partOf"][0]["reference"]: o for o in observations(bundle, "rep-count")}
    full_url = {
        e["resource"].get("identifier", [{}])[0].get("value"): e["fullUrl"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Procedure"
    }
    squat = store.session(rec.sessions["squat"])
    assert counts[full_url[squat.id]]["valueInteger"] == len(squat.reps) > 0
    left = counts[full_url[rec.sessions["left"]]]
    assert left["valueInteger"] == 2 and parts(left)["reps-left"]["valueInteger"] == 2
    # Per-side ranges of the front-view shoulder abduction, in degrees, with the joint.
    reps = [
        o
        for o in observations(bundle, "exercise-rep")
        if o["partOf"][0]["reference"] == full_url[rec.sessions["abduction"]]
    ]
    assert reps and all(o["bodySite"] == {"text": "shoulder"} for o in reps)
    sided = [parts(o) for o in reps if "rep-range-left" in parts(o)]
    assert sided and all(p["rep-range-left"]["valueQuantity"]["code"] == "deg" for p in sided)
    assert {"rep-range-right", "rep-peak", "form-score", "smoothness"} <= set(sided[0])
    # A one-sided exercise's rep names its side, and its knee.
    one = [
        o
        for o in observations(bundle, "exercise-rep")
        if o["partOf"][0]["reference"] == full_url[rec.sessions["left"]]
    ]
    assert one[0]["bodySite"] == {"text": "left knee"}
    assert parts(one[0])["rep-side"]["valueCodeableConcept"]["coding"][0]["code"] == "left"
    assert parts(one[1])["over-range-limit"]["valueBoolean"] is True
    assert parts(one[1])["rep-fault"]["valueString"] == "too_fast"
    holds = observations(bundle, "hold")
    stance = store.session(rec.sessions["stance"])
    assert len(holds) == len(stance.holds) > 0
    assert holds[0]["valueQuantity"]["value"] == stance.holds[0].duration_s
    assert len(observations(bundle, "fault-flagged")) == sum(
        len(store.session(s.id).faults) for s in store.sessions_of(rec.patient_id)
    )


def test_a_rep_whose_angle_was_not_measured_has_no_value(
    bundle: dict[str, Any], recorded: tuple[Store, Record]
) -> None:
    _, rec = recorded
    procs = {
        e["resource"].get("identifier", [{}])[0].get("value"): e["fullUrl"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Procedure"
    }
    (rep,) = [
        o
        for o in observations(bundle, "exercise-rep")
        if o["partOf"][0]["reference"] == procs[rec.sessions["unmeasured"]]
    ]
    for code in ("rep-range", "rep-peak"):
        c = parts(rep)[code]
        assert "valueQuantity" not in c
        assert c["dataAbsentReason"]["coding"] == [{"system": ABSENT, "code": "unknown"}]
        assert c["dataAbsentReason"]["text"].startswith("not measured")
    assert parts(rep)["form-score"]["valueQuantity"]["value"] == 50.0


def test_loinc_codes_for_pain_effort_chair_stand_and_a_left_shoulder(
    bundle: dict[str, Any],
) -> None:
    def loinc(obs: dict[str, Any]) -> str | None:
        return our(obs["code"], LOINC)

    pain = observations(bundle, "pain-before-session") + observations(bundle, "pain-after-session")
    assert len(pain) == 6 and {loinc(o) for o in pain} == {"72514-3"}
    assert {o["bodySite"]["text"] for o in pain} == {"left knee"}
    effort = observations(bundle, "effort-borg-cr10")
    assert {loinc(o) for o in effort} == {"82289-0"}
    assert sorted((parts(o)["set-number"]["valueInteger"], o["valueInteger"]) for o in effort) == [
        (1, 4),
        (2, 7),
    ]
    (chair,) = observations(bundle, "test-chair-stand")
    assert loinc(chair) == "66247-8"
    assert chair["valueQuantity"] == {
        "value": 11,
        "unit": "stands",
        "system": "http://unitsofmeasure.org",
        "code": "{#}/(30.s)",
    }
    assert chair["referenceRange"][0]["low"]["value"] == 10
    (five,) = observations(bundle, "test-five-times-sit-to-stand")
    assert "valueQuantity" not in five and five["dataAbsentReason"]["text"] == "not completed"
    (rom,) = observations(bundle, "test-rom")
    left, right = parts(rom)["test-peak-left"], parts(rom)["test-peak-right"]
    assert our(left["code"], LOINC) == "41299-9" and left["valueQuantity"]["value"] == 151.5
    assert left["code"]["text"] == "left shoulder abduction"
    assert "valueQuantity" not in right and right["dataAbsentReason"]["text"] == "not seen"
    assert rom["partOf"], "the test links the session it was run on"


def test_every_observation_has_its_method_and_the_cards_accuracy(bundle: dict[str, Any]) -> None:
    for obs in resources(bundle, "Observation"):
        assert obs["method"]["coding"][0]["system"] == CODES
        assert obs["method"]["text"]
        if our(obs["method"]) != "self-report":
            assert "MediaPipe Pose" in obs["method"]["text"] and obs["device"]
    views = {our(o["method"]) for o in observations(bundle, "exercise-rep")}
    assert "camera-front" in views, "the shoulder abduction track is filmed from the front"

    def accuracy(obs: dict[str, Any]) -> list[dict[str, Any]]:
        return [e for e in obs.get("extension", []) if e["url"].endswith("/accuracy")]

    counts = {our(p["code"], EXERCISES): p for p in resources(bundle, "Procedure")}
    assert counts  # the card measured squat counting: its rep counts say so, with numbers
    squat_counts = [o for o in observations(bundle, "rep-count") if "Squat" in o["code"]["text"]]
    ext = accuracy(squat_counts[0])[0]["extension"]
    assert {e["url"] for e in ext} >= {"statement", "recordings", "exactOn"}
    assert squat_counts[0]["note"][0]["text"].startswith("Counting Squat: exact on")
    left = [o for o in observations(bundle, "rep-count") if "left" in o["code"]["text"].lower()]
    assert left and not accuracy(left[0]), "no accuracy where the card has not measured it"
    (chair,) = observations(bundle, "test-chair-stand")
    assert accuracy(chair) and "Stands counted exactly" in chair["note"][-1]["text"]
    stance = observations(bundle, "hold")
    assert accuracy(stance[0])[0]["extension"][0]["valueString"].startswith("Hold time")


def test_targets_run_and_each_target(
    bundle: dict[str, Any], recorded: tuple[Store, Record]
) -> None:
    store, rec = recorded
    tg = store.session(rec.sessions["targets"]).summary["targets"]
    (run,) = observations(bundle, "targets-run")
    targets = observations(bundle, "target-result")
    assert len(targets) == len(tg["results"]) == len(run["hasMember"])
    assert run["valueInteger"] == sum(1 for r in tg["results"] if r["hit"])
    first, second = (parts(t) for t in targets)
    assert "target-reaction-time" not in first, "the hand was already moving: no reaction time"
    assert (
        second["target-reaction-time"]["valueQuantity"]["value"] == tg["results"][1]["reaction_s"]
    )
    assert second["target-overshoot"]["valueQuantity"]["unit"] == "arm lengths"
    assert [
        t["target-hand"]["valueCodeableConcept"]["coding"][0]["code"] for t in (first, second)
    ] == ["left", "right"]


def test_an_imported_targets_run_reads_in_the_readers_language(
    two_stores: tuple[Store, Store],
) -> None:
    """A target's message crosses FHIR with its id and parameters: a Spanish reader of the
    imported run reads Spanish, as of the recorded one; an English one the same words."""
    from coach.i18n import reader
    from scoring.words import Say

    source, target = two_stores
    rec = build_record(source, source.create_user("dr.t", "Dr Therese Tan", PASSWORD).id)
    exported = json.loads(json.dumps(patient_bundle(source, source.patient(rec.patient_id))))
    pid = import_bundle(target, exported, target.create_user("dr.n", "Dr New", PASSWORD).id)
    [imported] = [s for s in target.sessions_of(pid) if (s.summary or {}).get("targets")]
    recorded = source.session(rec.sessions["targets"]).summary["targets"]["results"]
    for before, after in zip(recorded, imported.summary["targets"]["results"], strict=True):
        words = Say.from_json(after["say"]["message"])
        spanish = reader("es").say(words)
        assert spanish == reader("es").say(Say.from_json(before["say"]["message"]))
        assert spanish != after["message"] and "{" not in spanish
        assert reader("en").say(words) == after["message"] == before["message"]


# ---- the round trip ------------------------------------------------------------------------
def _normalized(bundle: dict[str, Any]) -> str:
    """The bundle without its time stamp, the patient's local id and therapist, its urn:uuids
    numbered in order of appearance."""
    text = json.dumps({k: v for k, v in bundle.items() if k != "timestamp"})
    text = re.sub(r'patient-id", "value": "\d+"', 'patient-id", "value": "?"', text)
    text = re.sub(r'"Practitioner", "name": \[\{"text": "[^"]+"', '"Practitioner"', text)
    seen: dict[str, str] = {}
    return re.sub(r"urn:uuid:[0-9a-f-]+", lambda m: seen.setdefault(m[0], f"#{len(seen)}"), text)


def test_round_trip_gives_the_same_patient_page(two_stores: tuple[Store, Store]) -> None:
    source, target = two_stores
    rec = build_record(source, source.create_user("dr.t", "Dr Therese Tan", PASSWORD).id)
    other = source.create_user("dr.o", "Dr Other", PASSWORD)
    build_record(source, other.id, "Someone Else")  # not in the bundle
    exported = json.loads(json.dumps(patient_bundle(source, source.patient(rec.patient_id))))
    ther = target.create_user("dr.new", "Dr New", PASSWORD)
    pid = import_bundle(target, exported, ther.id)
    assert target.patient(pid).therapist_id == ther.id
    assert page_data(target, pid) == page_data(source, rec.patient_id)
    again = patient_bundle(target, target.patient(pid))
    assert _normalized(again) == _normalized(exported)


def test_a_new_patient_with_nothing_yet_round_trips(tmp_path: Path) -> None:
    source = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    target = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    ther = source.create_user("dr.t", "Dr T", PASSWORD)
    pid = source.create_patient(ther.id, "Zoë Nobody").id  # no sex, year, notes or program
    exported = json.loads(json.dumps(patient_bundle(source, source.patient(pid))))
    validate(exported)
    assert {e["resource"]["resourceType"] for e in exported["entry"]} == {
        "CodeSystem",
        "Device",
        "Practitioner",
        "Patient",
    }
    new = import_bundle(target, exported, target.create_user("dr.u", "Dr U", PASSWORD).id)
    assert page_data(target, new) == page_data(source, pid)
    source.close()
    target.close()


def test_an_import_that_cannot_be_read_whole_writes_nothing(
    bundle: dict[str, Any], tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    ther = store.create_user("dr.n", "Dr N", PASSWORD)

    def refused(b: dict[str, Any], words: str) -> None:
        with pytest.raises(FhirImportError, match=words):
            import_bundle(store, b, ther.id)
        with store.factory() as db:
            assert db.query(Patient).count() == 0

    bad = json.loads(json.dumps(bundle))
    next(r for r in resources(bad, "Observation"))["colour"] = "blue"  # no such element
    refused(bad, "not a valid FHIR bundle")
    bad = json.loads(json.dumps(bundle))
    observations(bad, "exercise-rep")[0]["component"][0]["valueInteger"] = "one"
    refused(bad, "not a valid FHIR bundle")
    bad = json.loads(json.dumps(bundle))
    del next(r for r in resources(bad, "Observation"))["status"]
    refused(bad, "not a valid FHIR bundle: entry.*status")
    bad = json.loads(json.dumps(bundle))
    bad["entry"].append(next(e for e in bad["entry"] if e["resource"]["resourceType"] == "Patient"))
    refused(bad, "one Patient, not 2")
    bad = json.loads(json.dumps(bundle))
    plan = resources(bad, "CarePlan")[0]["activity"][0]["detail"]
    next(e for e in plan["extension"] if e["url"].endswith("range-limit"))["valueQuantity"][
        "value"
    ] = 500
    refused(bad, "the program can't be used: .*range limit")
    bad = json.loads(json.dumps(bundle))
    observations(bad, "pain-before-session")[0]["valueInteger"] = 11
    refused(bad, "a rating can't be stored")
    refused({"resourceType": "Patient"}, "not a FHIR Bundle")
    store.close()


def test_the_cli_exports_and_imports(
    recorded: tuple[Store, Record],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store, rec = recorded
    monkeypatch.setenv("COACH_DATABASE_URL", str(store.engine.url))
    out = tmp_path / "bundle.json"
    assert main(["export", "fhir", "--patient", str(rec.patient_id), "-o", str(out)]) == 0
    assert "FHIR resources written" in capsys.readouterr().out
    validate(json.loads(out.read_text()))
    assert main(["export", "fhir", "--patient", "999", "-o", str(out)]) == 2
    assert "no patient with id 999" in capsys.readouterr().err
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("COACH_DATABASE_URL", empty)
    target = open_store(empty)
    target.create_user("dr.z", "Dr Z", PASSWORD)
    assert main(["import", "fhir", str(out), "--therapist", "nobody"]) == 2
    assert main(["import", "fhir", str(tmp_path / "missing.json"), "--therapist", "dr.z"]) == 2
    bad = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Observation", "status": "final"}}],
    }
    (tmp_path / "bad.json").write_text(json.dumps(bad))  # an Observation needs a code
    assert main(["import", "fhir", str(tmp_path / "bad.json"), "--therapist", "dr.z"]) == 2
    assert "not a valid FHIR bundle" in capsys.readouterr().err
    assert main(["import", "fhir", str(out), "--therapist", "dr.z"]) == 0
    assert "as patient 1 (Ada Lovelace-Byron) of dr.z" in capsys.readouterr().out
    assert page_data(target, 1) == page_data(store, rec.patient_id)
    target.close()


def test_how_well_an_angle_was_seen_travels_when_the_store_keeps_it() -> None:
    """From schema revision 0006 a rep keeps how well its angle was seen (confidence, the
    reason it was not measured, the range limit's verdict): the export says it when the row
    has it, and the import gives it back (to a store with those columns)."""
    from types import SimpleNamespace as NS

    from coach.review.fhir.refs import Context, Ids
    from coach.review.fhir.sessions import SessionInfo, read_rep, rep_observation
    from exercises import load_exercise
    from tests.coach.review.fhir_record import NOW

    session = NS(id="s1", exercise_id="squat", status="completed", started_at=NOW, reps=[])
    rep = NS(
        index=1,
        side="",
        start_s=0.5,
        end_s=2.0,
        rom_deg=None,
        peak_deg=None,
        score=40.0,
        extra={"measured": False},
        over_limit=False,
        faults=[],
        confidence=0.2,
        confidence_reason="view",
        limit_check="unchecked",
    )
    ctx = Context(Ids(1, NOW), patient="urn:uuid:p", device="urn:uuid:d")
    obs = rep_observation(rep, SessionInfo.of(session, load_exercise("squat"), "front", "u"), ctx)
    c = parts(obs)
    assert c["rep-range"]["dataAbsentReason"]["text"] == "not measured (view)"
    assert c["angle-confidence"]["valueQuantity"]["value"] == 0.2
    assert c["limit-check"]["valueString"] == "unchecked"
    back = read_rep(json.loads(json.dumps(obs)))
    assert (back["confidence"], back["confidence_reason"], back["limit_check"]) == (
        0.2,
        "view",
        "unchecked",
    )
    assert back["extra"] == {"measured": False} and back["rom_deg"] is None


def test_weekly_check_ins_are_observations_with_their_answers(bundle: dict[str, Any]) -> None:
    """One `weekly-checkin` per week (the week as its period, skipped or not), whose members
    are the answers and the PSFS activities, all coded as ours (no LOINC term fits)."""
    weeks = sorted(
        observations(bundle, "weekly-checkin"), key=lambda o: o["effectivePeriod"]["start"]
    )
    assert len(weeks) == 3
    skipped = [parts(w)["checkin-skipped"]["valueBoolean"] for w in weeks]
    assert skipped == [False, True, False] and "hasMember" not in weeks[1]
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    members = [by_url[m["reference"]] for m in weeks[2]["hasMember"]]
    answers = {our(m["code"]): m["valueInteger"] for m in members}
    assert answers == {"checkin-sleep-quality": 6, "checkin-energy": 4, "psfs-activity": 5}
    stairs = next(
        m for m in members if parts(m).get("psfs-activity-name", {}).get("valueString") == "Stairs"
    )
    assert stairs["valueInteger"] == 6 and parts(stairs)["psfs-position"]["valueInteger"] == 1
    for m in members:
        assert (
            m["effectivePeriod"] == weeks[2]["effectivePeriod"]
            and m["category"][0]["coding"][0]["code"] == "survey"
        )
        assert not any(c["system"] == LOINC for c in m["code"]["coding"])


def test_a_timed_up_and_go_carries_its_loinc_code(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    ther = store.create_user("dr.tug", "Dr Tug", PASSWORD)
    pid = store.create_patient(ther.id, "Tom Tug").id
    store.add_protocol_result(
        pid,
        "tug",
        {"protocol": "timed_up_and_go", "name": "Timed Up and Go", "value": 10.9, "unit": "s"},
    )
    (obs,) = observations(patient_bundle(store, store.patient(pid)), "test-tug")
    assert {"system": LOINC, "code": "89423-8"}.items() <= obs["code"]["coding"][0].items()
    store.close()
