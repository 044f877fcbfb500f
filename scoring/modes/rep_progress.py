"""A rep being made: the faults it has collected so far, and whether it went past the limit.

Rep mode (scoring.modes.reps) keeps one per counter from the frame the counter enters its
working phase until the rep completes or turns back; frame rules, the range limit and the
per-rep rules all add their faults here, each once, so the completed rep lists them in the
order they happened and its score takes each penalty once.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RepInProgress:
    """A rep's faults so far (in order, each once, with its penalty), and whether the range
    limit fired in it."""

    faults: list[str] = field(default_factory=list)
    penalties: dict[str, float] = field(default_factory=dict)
    over_limit: bool = False  # the range limit's fault has fired for this rep

    def add(self, fault_id: str, penalty: float) -> bool:
        """Note a fault; False when the rep already had it (nothing changes)."""
        if fault_id in self.faults:
            return False
        self.faults.append(fault_id)
        self.penalties[fault_id] = penalty
        return True
