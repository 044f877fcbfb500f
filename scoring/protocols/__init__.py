"""Standard clinical tests computed from a pose track: pure functions, typed results.

Each protocol takes per-frame signals (from scoring.measures) and timestamps plus its
reference values (scoring.protocols.norms.Norms, loaded from exercises/norms/ by the
caller) and returns a ProtocolResult with a `to_json()` dict for the record.
"""

from scoring.protocols.balance_stages import four_stages_in_one
from scoring.protocols.gait import gait
from scoring.protocols.norms import Band, NormError, Norms, ProtocolResult
from scoring.protocols.rom import range_of_motion
from scoring.protocols.stance import (
    StageTrack,
    four_stage_balance,
    hold_condition,
    single_leg_stance,
    timed_stances,
)
from scoring.protocols.stands import chair_stand_30s, detect_stands, five_times_sit_to_stand
from scoring.protocols.tug import timed_up_and_go

__all__ = [
    "Band",
    "NormError",
    "ProtocolResult",
    "Norms",
    "StageTrack",
    "chair_stand_30s",
    "detect_stands",
    "five_times_sit_to_stand",
    "four_stage_balance",
    "four_stages_in_one",
    "gait",
    "hold_condition",
    "range_of_motion",
    "single_leg_stance",
    "timed_stances",
    "timed_up_and_go",
]
