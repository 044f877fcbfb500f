"""The scoring core: measures from landmarks, reps, holds, faults, scores. Pure: no I/O."""
