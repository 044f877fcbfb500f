"""The reference-value files: every one loads, cites its source and has sane bands."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises import load_exercise
from exercises.norms import UnknownNorms, load_norms, load_norms_file, norm_ids


@pytest.mark.parametrize("norm_id", norm_ids())
def test_every_norms_file_loads_with_a_source(norm_id: str) -> None:
    ref = load_norms(norm_id)
    assert ref.protocol == norm_id
    assert len(ref.source) > 40 and any(str(y) in ref.source for y in range(1960, 2030))
    for a in ref.bands:
        for b in ref.bands:
            if a is not b and a.sex == b.sex:
                assert a.age_max < b.age_min or b.age_max < a.age_min, (a, b)


def test_the_seven_protocols_have_norms() -> None:
    assert set(norm_ids()) == {
        "chair_stand_30s",
        "five_times_sit_to_stand",
        "four_stage_balance",
        "gait",
        "range_of_motion",
        "single_leg_stance",
        "timed_up_and_go",
    }


def test_tug_norms_are_steadi_and_bohannon() -> None:
    """STEADI: 12 s or more at risk of falling; Bohannon 2006's age means and 95% CIs
    (checked against the abstract: 8.1 (7.1-9.0), 9.2 (8.2-10.2), 11.3 (10.0-12.7) s)."""
    ref = load_norms("timed_up_and_go")
    assert ref.constant("fall_risk_s") == 12.0
    assert [(b.age_min, b.age_max, b.values) for b in ref.bands] == [
        (60, 69, {"mean": 8.1, "ci_low": 7.1, "ci_high": 9.0}),
        (70, 79, {"mean": 9.2, "ci_low": 8.2, "ci_high": 10.2}),
        (80, 99, {"mean": 11.3, "ci_low": 10.0, "ci_high": 12.7}),
    ]
    assert "STEADI" in ref.source and "Bohannon" in ref.source


def test_gait_norms_give_the_cadence_range_by_sex() -> None:
    ref = load_norms("gait")
    assert ref.band(70, "female").values == {"cadence_low": 96, "cadence_high": 138}
    assert ref.band(70, "male").values == {"cadence_low": 81, "cadence_high": 135}
    assert 0.45 < ref.constant("leg_share_of_height") < 0.55


def test_four_stage_stages_name_existing_exercises() -> None:
    stages = load_norms("four_stage_balance").extra["stages"]
    assert [s["id"] for s in stages] == ["feet_together", "semi_tandem", "tandem", "single_leg"]
    for s in stages:
        assert load_exercise(s["exercise"]).kind == "hold"


def test_unknown_norms_list_the_known_ones() -> None:
    with pytest.raises(UnknownNorms, match="known: chair_stand_30s"):
        load_norms("six_minute_walk")


def test_a_malformed_file_names_itself(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'protocol = "x"\nname = "x"\nunit = "s"\nsource = "s"\n'
        "[[bands]]\nage = [70, 60]\nmean = 1\n"
    )
    with pytest.raises(ValueError, match=r"bad\.toml: .*reversed"):
        load_norms_file(bad)


def test_rom_values_are_the_sourced_ones_and_carry_no_unsourced_allowance() -> None:
    """Gill 2020 active means, AAOS/AMA end ranges, Soucie 2011 passive knee
    (../shared/CLINICAL-NORMS.md); no tolerance or asymmetry threshold (no source found)."""
    ref = load_norms("range_of_motion")
    assert ref.constants == {}
    got = {
        (m["id"], r["kind"], r.get("sex")): r["deg"]
        for m in ref.extra["movements"]
        for r in m["references"]
    }
    assert got[("shoulder_flexion", "active mean", "male")] == 161.5
    assert got[("shoulder_flexion", "active mean", "female")] == 158.5
    assert got[("shoulder_abduction", "active mean", "male")] == 151.5
    assert got[("shoulder_abduction", "active mean", "female")] == 149.7
    assert got[("shoulder_flexion", "end range", None)] == 180.0
    assert got[("knee_flexion", "end range", None)] == 150.0
    assert got[("knee_flexion", "passive mean", "female")] == 141.9
    assert all(r["cite"] for m in ref.extra["movements"] for r in m["references"])
