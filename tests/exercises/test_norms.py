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


def test_the_five_protocols_have_norms() -> None:
    assert set(norm_ids()) == {
        "chair_stand_30s",
        "five_times_sit_to_stand",
        "four_stage_balance",
        "range_of_motion",
        "single_leg_stance",
    }


def test_four_stage_stages_name_existing_exercises() -> None:
    stages = load_norms("four_stage_balance").extra["stages"]
    assert [s["id"] for s in stages] == ["feet_together", "semi_tandem", "tandem", "single_leg"]
    for s in stages:
        assert load_exercise(s["exercise"]).kind == "hold"


def test_unknown_norms_list_the_known_ones() -> None:
    with pytest.raises(UnknownNorms, match="known: chair_stand_30s"):
        load_norms("timed_up_and_go")


def test_a_malformed_file_names_itself(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'protocol = "x"\nname = "x"\nunit = "s"\nsource = "s"\n'
        "[[bands]]\nage = [70, 60]\nmean = 1\n"
    )
    with pytest.raises(ValueError, match=r"bad\.toml: .*reversed"):
        load_norms_file(bad)
