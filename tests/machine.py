"""How much slower this machine is right now than the quiet 2-core machine the suite's time
limits were written on: real-time tests scale their deadlines by it (`scaled`), so a loaded
machine (other test runs, other engineers) gets longer deadlines instead of failures.

The factor is a small fixed CPU workload's wall time over its CPU time on the quiet machine
(never below 1). Measured when first asked and again when the last measure is over a minute
old (load changes during a long run). `COACH_TEST_MACHINE_FACTOR` fixes it instead.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

QUIET_WORKLOAD_S = 0.09  # the workload's time on an idle machine of the project's kind
REFRESH_S = 60.0
_measured: tuple[float, float] | None = None  # (when, factor)


def _workload() -> float:
    started = time.perf_counter()
    x = 0
    for i in range(2_000_000):
        x += i * i % 7
    return time.perf_counter() - started


def measure() -> float:
    """Measure now: the median of three runs of the workload, relative to the quiet machine."""
    global _measured
    factor = max(1.0, statistics.median(_workload() for _ in range(3)) / QUIET_WORKLOAD_S)
    _measured = (time.monotonic(), factor)
    return factor


def machine_factor() -> float:
    """The current factor (1.0 on a quiet machine; 4.0 if a fixed workload takes 4x longer)."""
    fixed = os.environ.get("COACH_TEST_MACHINE_FACTOR")
    if fixed:
        return max(1.0, float(fixed))
    if _measured is None or time.monotonic() - _measured[0] > REFRESH_S:
        return measure()
    return _measured[1]


def scaled(seconds: float) -> float:
    """A deadline written for the quiet machine, stretched for the load right now."""
    return seconds * machine_factor()


def last_factor() -> float | None:
    """The last measured factor, without measuring (for the run's summary)."""
    return None if _measured is None else _measured[1]


def wait_until(
    predicate: Callable[[], object], timeout: float = 10.0, what: str = "", every: float = 0.05
) -> None:
    """Wait for a state, not a time: poll `predicate` until it is true; fail after `timeout`
    seconds (scaled by the machine factor) saying `what` was awaited."""
    deadline = time.monotonic() + scaled(timeout)
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {scaled(timeout):.0f} s for {what or predicate}")
        time.sleep(every)
