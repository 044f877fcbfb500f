"""Small accuracy cards (the format of coach/accuracy.json) for tests of the pages."""

from __future__ import annotations

from typing import Any


def measured_angle(within_deg: int, mae_deg: float, frames: int = 120) -> dict[str, Any]:
    """An angle figure the pages may quote, against the 4-camera reference."""
    return {
        "status": "measured",
        "within_deg": within_deg,
        "mae_deg": mae_deg,
        "bias_deg": -1.5,
        "loa_deg": [-9.0, 6.0],
        "frames": frames,
        "reference": "4-camera triangulated reference",
        "formula": "image2d",
    }
