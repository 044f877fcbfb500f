"""The accuracy card's generator (benchmarks/accuracy_card.py) on a small fake data folder.

No model runs: the manifest's clips are the stored sample tracks of samples/tracks (the
`coach eval --landmarks` path), the clinical clip is a synthetic sit-to-stand track placed in
the generator's track cache, and the angle table comes from a small file in the angle
benchmark's format. Each video is a two-frame file that only gives the clip's fps and size.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from benchmarks import accuracy_card
from pose.landmarks import Landmark as L
from pose.mediapipe_backend import sha256_file

# The generator records the checkout's commit (git): every test here starts that process.
pytestmark = pytest.mark.subprocess

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "tracks"
STAND_TIMES = [1.7, 5.7, 9.7]  # when the synthetic hips pass the standing threshold (0.85)


def _video(path: Path, fps: float, size: tuple[int, int]) -> None:
    """Two black frames: the clip's fps and size for the stored-track path."""
    w, h = size
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for _ in range(2):
        out.write(np.zeros((h, w, 3), np.uint8))
    out.release()


def _sample_clip(root: Path, name: str, clip_id: str, fps: float) -> dict[str, Any]:
    """A manifest entry for a samples/tracks track (its meta has the ground truth)."""
    with np.load(SAMPLES / f"{name}.npz") as d:
        lm, size, meta = d["lm"], tuple(int(v) for v in d["image_size"]), json.loads(str(d["meta"]))
    np.savez(root / f"{name}.npz", lm=lm)
    _video(root / f"{name}.avi", fps, size)  # type: ignore[arg-type]
    return {
        "id": clip_id,
        "video": f"{name}.avi",
        "exercise": meta["exercise"],
        "view": meta["view"],
        "ground_truth": meta["ground_truth"],
        "landmarks": f"{name}.npz",
    }


def sit_to_stand_track(fps: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """(t, landmarks) of three rises from a chair: hips at 0.5 leg lengths above the ankles
    seated, 1.0 standing, each rise taking a second from t = 1, 5 and 9 s."""
    t = np.arange(0, 12.0, 1 / fps)
    phase = t % 4.0
    h = np.interp(phase, [0, 1, 2, 3, 4], [0.5, 0.5, 1.0, 1.0, 0.5])
    lm = np.zeros((len(t), 33, 4))
    lm[:, :, 0], lm[:, :, 1], lm[:, :, 3] = 0.5, 0.3, 1.0
    leg = 0.2  # thigh and shank, in image heights (square image)
    for hip, knee, ankle in (
        (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
        (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
    ):
        span = 2 * leg * h  # hip straight above the ankle
        lm[:, ankle, 1] = 0.9
        lm[:, hip, 1] = 0.9 - span
        lm[:, knee, 0] = 0.5 + np.sqrt(leg**2 - (span / 2) ** 2)
        lm[:, knee, 1] = 0.9 - span / 2
    return t, lm


@pytest.fixture()
def data(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "data"
    root.mkdir()
    clips = [
        _sample_clip(root, "formfit_squat", "fake/squat", 30.0),
        _sample_clip(root, "formfit_curl", "fake/curl", 30.0),
        _sample_clip(root, "medflex_single_leg_stance", "fake/sls", 24.0),
    ]
    clips[1]["ground_truth"] = {"reps": 7, "accept": [7, 7]}  # a count the engine will miss
    np.savez(root / "nobody.npz", lm=np.full((40, 33, 4), np.nan))
    _video(root / "nobody.avi", 30.0, (320, 240))
    clips.append(
        {
            "id": "fake/nobody",
            "video": "nobody.avi",
            "exercise": "any",
            "ground_truth": {"reps": 7, "accept": [7, 7], "pose_detectable": False},
            "landmarks": "nobody.npz",
        }
    )
    (root / "MANIFEST.json").write_text(json.dumps({"videos": clips}))
    # The clinical clip: any bytes for the "video"; its track waits in the cache.
    (root / "chair.webm").write_bytes(b"not decoded: the track is in the cache")
    labels = {
        "reps": 3,
        "rise_onset_s": 0.95,
        "reps_detail": [{"seat_off_s": s - 0.6, "standing_s": s} for s in STAND_TIMES],
    }
    (root / "clinical_clips.json").write_text(
        json.dumps(
            [
                {
                    "id": "fake/chair",
                    "video": "chair.webm",
                    "kind": "sit_to_stand",
                    "view": "side",
                    "ground_truth": labels,
                },
                {"id": "fake/walk", "video": "walk.mp4", "kind": "walk", "ground_truth": {}},
            ]
        )
    )
    cache = tmp_path / "cache"
    cache.mkdir()
    t, lm = sit_to_stand_track()
    key = f"chair-full-{sha256_file(root / 'chair.webm')[:16]}.npz"
    np.savez(cache / key, t=t, landmarks=lm, aspect=1.0)
    return {"root": root, "cache": cache, "out": tmp_path}


def _generate(
    data: dict[str, Path],
    angles: Path,
    everyday: Path | None = None,
    jumps: Path | None = None,
    evalset: Path | None = None,
) -> tuple[str, dict[str, Any]]:
    out = data["out"]
    argv = [
        "--data",
        str(data["root"]),
        "--cache",
        str(data["cache"]),
        "--angles",
        str(angles),
        "--everyday",
        str(everyday or out / "absent-everyday.json"),
        "--jumps",
        str(jumps or out / "absent-jumps.json"),
        "--markdown",
        str(out / "ACCURACY.md"),
        "--product",
        str(out / "accuracy.json"),
        "-q",
        "--evalset",
        str(evalset or out / "absent-evalset.json"),
    ]
    assert accuracy_card.main(argv) == 0
    return (out / "ACCURACY.md").read_text(), json.loads((out / "accuracy.json").read_text())


ANGLES = {
    "summary": {
        "date": "2026-12-01",
        "command": "python benchmarks/angles.py --json FILE",
        "reference": "a triangulated reference",
        "targets": {"mae": 5.0, "abs_bias": 2.0, "loa": 10.0, "standing_median": 10.0},
        "noise_floor": {"knee_left": {"leave_one_camera_out_mae": [1.3, 2.2]}},
        "recommended": {
            "knee": {
                "side": {
                    "formula": "image2d",
                    "model": "full",
                    "figures": {
                        "four_camera": {
                            "n": 120,
                            "mae": 4.2,
                            "bias": -1.5,
                            "loa_low": -9.0,
                            "loa_high": 6.0,
                        },
                        "face_on_vs_image_plane": "the reference itself",
                        "standing": {"clips": 3, "worst_median": 6.0, "within_0_10": 3},
                    },
                },
                "front": {"formula": None, "shown_as": "not measured", "model": "full"},
            },
            "hip": {
                "side": {
                    "formula": "image2d",
                    "figures": {
                        "four_camera": {
                            "n": 4,
                            "mae": 15.0,
                            "bias": -15.0,
                            "loa_low": -20.0,
                            "loa_high": -10.0,
                        }
                    },
                }
            },
        },
    }
}


def test_card_from_stored_tracks_and_a_cached_clinical_track(data: dict[str, Path]) -> None:
    text, product = _generate(data, data["out"] / "absent.json")
    # Generated, dated, with the command that made it.
    assert text.startswith("<!-- Generated by `python benchmarks/accuracy_card.py --data ")
    assert "Do not edit by hand" in text.splitlines()[0]
    assert "python benchmarks/accuracy_card.py --data" in text and "from commit `" in text
    gen = product["generated"]
    assert (
        gen["command"].startswith("python benchmarks/accuracy_card.py") and len(gen["date"]) == 10
    )
    # Counts per exercise: the squat exact, the curl (truth changed to 7) missed by 2.
    assert product["counting"]["squat"] == {
        "recordings": 1,
        "exact": 1,
        "within_one": 1,
        "mae_reps": 0.0,
    }
    assert product["counting"]["bicep_curl"] == {
        "recordings": 1,
        "exact": 0,
        "within_one": 0,
        "mae_reps": 2.0,
    }
    assert "| **all** | 2 | 1/2 (50%) | 1/2 (50%) | 1.00 |" in text
    assert '1 of 1 reported as "not detectable"' in text
    # The hold against its label (8.06 s, accepted 7.3-8.1).
    hold = product["holds"]["single_leg_stance"]
    assert hold["recordings"] == 1 and hold["mae_s"] <= 0.2, hold
    # Chair stands and their times, from the timestamps of the cached track.
    assert product["protocols"]["chair-stand"] == {"recordings": 1, "exact": 1, "within_one": 1}
    stands = product["protocols"]["five-times-sit-to-stand"]["stands"]
    assert stands["n"] == 3 and stands["missed"] == 0 and stands["mae_s"] <= 0.05
    # Three stands: no five-times time to compare with a label.
    assert "recordings" not in product["protocols"]["five-times-sit-to-stand"]
    # No angle benchmark yet: said so, and nothing for the pages.
    assert "**Not yet measured.**" in text and product["angles"] == {}
    # The published anchors with their sources, or "source not verified".
    assert "doi:10.1007/s13755-023-00258-3" in text and "source not verified" in text


def test_angle_table_from_the_benchmark_file(data: dict[str, Path]) -> None:
    angles = data["out"] / "angles.json"
    angles.write_text(json.dumps(ANGLES))
    text, product = _generate(data, angles)
    assert "Not yet measured" not in text
    assert (
        "| knee | side | `image2d` | 4-camera triangulated reference | 120 | 4.2 | -1.5 |" in text
    )
    knee = product["angles"]["knee_flexion"]
    assert knee["side"]["within_deg"] == 5 and knee["side"]["frames"] == 120
    assert knee["front"] == {"status": "not_measured"}
    # Four frames against the reference: in the table, never quoted to a therapist.
    assert "hip_flexion" not in product["angles"]
    assert "| hip | side | `image2d` | 4-camera triangulated reference | 4 |" in text
    assert "nothing (too few frames)" in text


def _everyday_results() -> dict[str, Any]:
    """A small file in benchmarks/everyday.py's format."""
    event = {"truth": 5.0, "measured": 5.1, "error": 0.1}
    return {
        "generated": {
            "date": "2026-12-06",
            "commit": "abc1234",
            "command": "python benchmarks/everyday.py",
            "model": "real model",
        },
        "tug": {
            "target_s": 0.3,
            "figures": {"n": 2, "mae": 0.185, "bias": 0.185, "max_abs": 0.27},
            "from_seat_off": {"n": 2, "mae": 0.2, "bias": 0.15, "max_abs": 0.36},
            "rows": [
                {
                    "clip": f"fake/tug_{k}",
                    "view": "front-oblique, elevated",
                    "truth_total_s": 10.0,
                    "total_s": 10.0 + err,
                    "error_s": err,
                    "truth_from_seat_off_s": 9.0,
                    "from_seat_off_s": 9.2,
                    "events": {"rise_onset": event, "seat_contact": event},
                    "phases": [],
                    "steps": 6,
                    "warnings": [],
                }
                for k, err in ((1, 0.1), (2, 0.27))
            ],
        },
        "gait": {
            "cadence": {"n": 1, "mae": 4.3, "bias": -4.3, "max_abs": 4.3},
            "within_accept": 1,
            "strikes": {"n": 4, "mae": 0.026, "bias": 0.0, "max_abs": 0.05},
            "rows": [
                {
                    "clip": "fake/walk",
                    "view": "side (sagittal)",
                    "truth_cadence_spm": 111.0,
                    "accept_cadence_spm": [104, 118],
                    "cadence_spm": 106.7,
                    "cadence_plus_minus": 9.0,
                    "error_spm": -4.3,
                    "within_accept": True,
                    "strikes": {"labelled": 6, "matched": 4, "missed": 2, "extra": 0, "mae": 0.026},
                    "stride_time_cv_pct": {"value": None, "status": "not measured"},
                    "step_time_asymmetry_pct": {"value": 3.8, "plus_minus": 24.0},
                    "walking_speed_m_s": {"value": None, "status": "not measured"},
                }
            ],
        },
        "balance": {
            "made_with": "samples/make_balance_tracks.py",
            "held": {"n": 1, "mae": 0.17, "bias": -0.17, "max_abs": 0.17},
            "status_agrees": 1,
            "stages": 1,
            "rows": [
                {
                    "track": "tandem_fails",
                    "stage": "tandem",
                    "made_s": 6.0,
                    "truth_held_s": 6.0,
                    "held_s": 5.84,
                    "error_s": -0.16,
                    "truth_status": "failed",
                    "status": "failed",
                }
            ],
        },
    }


def test_everyday_section_from_the_benchmark_file(data: dict[str, Path]) -> None:
    everyday = data["out"] / "everyday.json"
    everyday.write_text(json.dumps(_everyday_results()))
    text, product = _generate(data, data["out"] / "absent.json", everyday)
    assert "## Everyday tasks: timed up-and-go, gait, the four balance stages" in text
    assert "| fake/tug_2 | front-oblique | 10.00 | 10.27 | +0.27 |" in text
    assert "within the target of +-0.3 s on\n2/2 (100%) clips" in text
    assert "**No public recording of the semi-tandem and tandem stances was found**" in text
    assert "| tandem_fails | tandem | 6.0 | 6.00 | 5.84 | -0.16 | failed (failed) |" in text
    # The pages may quote the timed up-and-go's total and the gait's cadence; never the
    # balance stages, which were measured on made tracks.
    assert product["protocols"]["tug"] == {"recordings": 2, "mae_s": 0.185, "bias_s": 0.185}
    assert product["protocols"]["gait"]["cadence_mae_spm"] == 4.3
    assert "four-stage-balance" not in product["protocols"]


def test_everyday_not_yet_measured_says_so(data: dict[str, Path]) -> None:
    text, product = _generate(data, data["out"] / "absent.json")
    assert "Everyday tasks" in text and "`python benchmarks/everyday.py` has not written" in text
    assert "tug" not in product["protocols"]


def _jumps_results() -> dict[str, Any]:
    """A small file in benchmarks/jumps.py's format."""
    landing = {"contact_s": 1.0, "flight_s": 0.5, "knee_contact_left": 30.0, "knee_peak_left": 60.0}
    row = {
        "clip": "fake/tuck",
        "view": "side (sagittal)",
        "jump_type": "tuck jumps",
        "truth_count": 2,
        "accept_count": [2, 3],
        "count": 2,
        "within_accept": True,
        "landing_errors_s": [0.05, -0.03],
        "landings_labelled": 2,
        "takeoff_errors_s": [0.01],
        "takeoff_label": "by hand",
        "flight_error_s": None,
        "valgus_label": "not labelled (no front view)",
        "valgus_flagged": [],
        "landings": [landing, landing],
    }
    made = {
        "track": "valgus",
        "exercise": "countermovement_jump",
        "count": 1,
        "agrees": True,
        "truth": {"jumps": 1, "valgus": ["left", "right"]},
        "valgus_flagged": ["left", "right"],
    }
    return {
        "generated": {
            "date": "2026-12-06",
            "commit": "abc1234",
            "command": "python benchmarks/jumps.py",
            "model": "real model",
        },  # fmt: skip
        "exercise": "countermovement_jump",
        "match_s": 0.2,
        "landing": {"n": 2, "mae": 0.04, "bias": 0.01, "max_abs": 0.05},
        "takeoff": {"n": 1, "mae": 0.01, "bias": 0.01, "max_abs": 0.01},
        "counts_within_accept": 1,
        "count_clips": 1,
        "rows": [row],
        "counted": [],
        "made": [made],
        "others": {"clips": 5, "with_jumps": 0, "jumps": 0, "rows": []},
    }


def test_jumps_section_from_the_benchmark_file(data: dict[str, Path]) -> None:
    jumps = data["out"] / "jumps.json"
    jumps.write_text(json.dumps(_jumps_results()))
    text, product = _generate(data, data["out"] / "absent.json", jumps=jumps)
    assert "## Jump landings: jumps counted, landing times, knee valgus" in text
    assert "| fake/tuck | side (sagittal) | 2 [2-3] | 2 | +0.050, -0.030 |" in text
    assert "MAE 0.040 s, bias +0.010 s, largest 0.050 s (n 2)" in text
    assert "| valgus | countermovement_jump |" in text and "| left, right | yes |" in text
    assert "gave 0 jumps in 0 clips\n(none)" in text
    assert product["jumps"]["landing_mae_s"] == 0.04 and "jumps" not in product["protocols"]


def test_jumps_not_yet_measured_says_so(data: dict[str, Path]) -> None:
    text, product = _generate(data, data["out"] / "absent.json")
    assert "`python benchmarks/jumps.py` has not written" in text
    assert "jumps" not in product


def _evalset_clip(clip_id: str, exercise: str, tags: list[str], truth: int, count: int) -> dict:  # type: ignore[type-arg]
    return {"id": f"evalset/{clip_id}", "exercise": exercise, "view": "oblique", "tags": tags,
            "truth": truth, "accept": [truth, truth], "count": count,
            "error": count - truth, "in_range": count == truth}  # fmt: skip


def test_unseen_clips_before_and_after(data: dict[str, Path]) -> None:
    def run(counts: tuple[int, int, int], raise_as: str) -> dict:  # type: ignore[type-arg]
        return {
            "generated": {
                "date": "2026-12-06",
                "commit": "abc1234",
                "command": "run.py",
                "model": "MediaPipe Pose full",
            },  # fmt: skip
            "clips": [
                _evalset_clip("curl_a", "bicep_curl", ["oblique", "upper-body"], 7, counts[0]),
                _evalset_clip("curl_b", "bicep_curl", ["oblique", "upper-body"], 5, counts[1]),
                _evalset_clip("raise", raise_as, ["front"], 11, counts[2]),
            ],
        }

    evalset = data["out"] / "evalset.json"
    evalset.write_text(json.dumps({"runs": {
        "after": run((6, 5, 11), "shoulder_abduction_to_shoulder_height"),
        "before": run((3, 5, 0), "shoulder_abduction"),
    }}))  # fmt: skip
    text, product = _generate(data, data["out"] / "absent.json", evalset=evalset)
    assert "## Counting on clips nobody here had seen" in text
    # Before, then after, whatever the file's order; groups from the clips' shared tags.
    assert "| **all** | 3 | 1/3 (33%) | 1/3 (33%) | 5.00 | 2/3 (67%) | 3/3 (100%) | 0.33 |" in text
    assert "| oblique | 2 | 1/2 (50%) | 1/2 (50%) | 2.00 | 1/2 (50%) | 2/2 (100%) | 0.50 |" in text
    assert "| front |" not in text  # one clip is no group
    assert "| curl_a | `bicep_curl` | oblique | 7 | 3 | 6 |" in text
    assert "`shoulder_abduction` (before), `shoulder_abduction_to_shoulder_height` (after)" in text
    assert product["counting_unseen"] == {
        "recordings": 3, "exact": 2, "within_one": 3, "mae_reps": 0.33
    }  # fmt: skip


def test_unseen_clips_not_yet_measured_says_so(data: dict[str, Path]) -> None:
    text, product = _generate(data, data["out"] / "absent.json")
    assert "`benchmarks/evalset/run.py --results` has not written" in text
    assert product["counting_unseen"] == {}
