"""`coach live` without a window: events on the terminal, same counting as the page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from coach.live.desktop import run_desktop


@pytest.mark.model
def test_terminal_mode_prints_each_rep_of_a_real_clip(
    squat_clip: tuple[Path, dict[str, Any]],
) -> None:
    clip, entry = squat_clip
    truth = entry["ground_truth"]["reps"]
    out = io.StringIO()
    assert run_desktop("squat", None, str(clip), False, out=out) == 0
    text = out.getvalue()
    assert (
        [line for line in text.splitlines() if "] Rep " in line][-1]
        .split("] ")[1]
        .startswith(f"Rep {truth}:")
    )
    assert f"Done: {truth} reps" in text


def test_bad_inputs_fail_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_desktop("squat", None, str(tmp_path / "missing.mp4"), False) == 2
    assert "not found" in capsys.readouterr().err
    assert run_desktop("moonwalk", None, None, False) == 2
    assert "moonwalk" in capsys.readouterr().err
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert run_desktop("squat", 0, None, True) == 2
    assert "--no-window" in capsys.readouterr().err
