"""Causal landmark smoothing: the One Euro filter, and a visibility-aware filter for Pose streams.

Raw landmarks jitter by a few pixels frame to frame; angles computed from them jitter more, which
makes rep counters double-count and hold timers flicker. The One Euro filter (Casiez, Roussel &
Vogel, CHI 2012) is a low-pass filter whose cutoff rises with speed: strong smoothing when a joint
is still, little lag when it moves. It is causal (uses only past samples, so it works live) and
takes explicit timestamps, which matters for variable-frame-rate video and webcams that drop
frames.

`LandmarkFilter` applies it to all 33 landmarks at once (one vectorised numpy update per frame,
a few tens of microseconds), skips landmarks MediaPipe itself marks as not visible (so a hidden
wrist does not drag the estimate towards MediaPipe's guess), and restarts after gaps.
"""

from __future__ import annotations

import math

import numpy as np

from pose.types import Array, Pose

_TWO_PI = 2.0 * math.pi


class OneEuroFilter:
    """One Euro filter over numpy arrays of any (fixed) shape, element by element.

    Call with a sample and its timestamp in seconds: `y = f(x, t)`. The first sample of each
    element passes through unchanged. Timestamps may be irregular; a sample whose time does not
    advance (dt <= 0: duplicate or backwards) leaves the state unchanged and returns the previous
    estimate. `mask` (bool, same shape as `x`) marks elements to update: the others keep their
    state and return their last estimate (or the raw value if they have none yet). NaN or inf
    elements are treated as masked out. With `reset_after_s`, an element not updated for longer
    than that restarts from its next sample instead of being smoothed towards a stale value.

    Parameters are the paper's: `min_cutoff` (Hz) sets smoothing at rest (lower = smoother, more
    lag), `beta` sets how fast the cutoff rises with speed (in 1/(units of x)), `d_cutoff` (Hz)
    smooths the speed estimate. The defaults here are the paper's generic ones; `beta` depends
    on the units of x, see `LandmarkFilter` for values tuned to normalised image coordinates.
    """

    def __init__(
        self,
        min_cutoff: float = 1.0,
        beta: float = 0.007,
        d_cutoff: float = 1.0,
        reset_after_s: float | None = None,
    ) -> None:
        if not min_cutoff > 0.0:
            raise ValueError(f"min_cutoff must be > 0 Hz, got {min_cutoff}")
        if not d_cutoff > 0.0:
            raise ValueError(f"d_cutoff must be > 0 Hz, got {d_cutoff}")
        if not beta >= 0.0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        if reset_after_s is not None and not reset_after_s > 0.0:
            raise ValueError(f"reset_after_s must be > 0 s or None, got {reset_after_s}")
        self.min_cutoff = float(min_cutoff)
        self.beta = float(beta)
        self.d_cutoff = float(d_cutoff)
        self.reset_after_s = reset_after_s
        self._tau_d = 1.0 / (_TWO_PI * self.d_cutoff)
        self._x: Array | None = None  # filtered value per element
        self._dx: Array | None = None  # filtered derivative per element
        self._t: Array | None = None  # time of each element's last update
        self._live: Array | None = None  # element has state
        # The steady state of a live stream: the elements fed last call (their mask's bytes),
        # when every one of them was updated at that call's time `_steady_t`, and whether all
        # elements have state. See `_steady_step`.
        self._steady: bytes | None = None
        self._steady_t = 0.0
        self._steady_skip: Array | None = None  # ~mask, None when every element is fed
        self._all_live = False

    def reset(self) -> None:
        """Forget all state: the next sample passes through."""
        self._x = self._dx = self._t = self._live = None
        self._steady = None

    @property
    def shape(self) -> tuple[int, ...] | None:
        """Shape of the filtered arrays, or None before the first sample."""
        return None if self._x is None else self._x.shape

    def __call__(self, x: Array, t: float, mask: Array | None = None) -> Array:
        """Filter one sample taken at time `t` (seconds); returns a new float64 array."""
        if not (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
            x = np.asarray(x, dtype=np.float64)  # floats are widened exactly where used
        valid = np.isfinite(x)
        if mask is not None:
            np.logical_and(valid, mask, out=valid)  # broadcasts: (33, 1) mask over (33, 6)
        if self._x is None or self._x.shape != x.shape:
            x = x.astype(np.float64)
            self._x = np.where(valid, x, 0.0)
            self._dx = np.zeros(x.shape)
            self._t = np.full(x.shape, float(t))
            self._live = valid.copy()
            self._note_steady(valid, valid, t)
            return x.copy()  # first sample passes through (unfed elements raw as well)
        assert self._dx is not None and self._t is not None and self._live is not None
        if self._steady is not None:
            dt = t - self._steady_t
            steady = dt > 0.0 and (self.reset_after_s is None or dt <= self.reset_after_s)
            if steady and valid.tobytes() == self._steady:
                return self._steady_step(x, t, dt, valid)
        return self._any_step(x, t, valid)

    def _note_steady(self, valid: Array, updated: Array, t: float) -> None:
        """After a call: steady if every element fed was updated (or restarted) at `t`."""
        n = np.count_nonzero(valid)
        self._steady = valid.tobytes() if np.count_nonzero(updated) == n else None
        self._steady_t = t
        self._steady_skip = None if n == valid.size else ~valid
        assert self._live is not None
        self._all_live = np.count_nonzero(self._live) == self._live.size

    def _steady_step(self, x: Array, t: float, dt: float, valid: Array) -> Array:
        """`_any_step` when the same elements are fed as last call, every one of them updated
        then (so each has state and the same dt > 0, within `reset_after_s`): nothing to
        restart, the update mask is `valid` and dt one number. The same arithmetic in the same
        order, so the same bits; a live stream takes this path nearly every frame, with a third
        of the numpy calls (on a (33, 6) array their overhead is the cost, not the maths)."""
        assert self._x is not None and self._dx is not None and self._t is not None
        assert self._live is not None
        diff = x - self._x
        skip = self._steady_skip  # the same mask as last call's, so its complement too
        if skip is not None:
            np.putmask(diff, skip, 0.0)  # NaN/inf only where not fed
        edx = self._smooth(diff, dt)
        if skip is None:
            self._dx = edx
            self._t.fill(t)
        else:
            np.putmask(self._dx, valid, edx)
            np.putmask(self._t, valid, t)
        self._steady_t = t
        if self._all_live:
            return self._x.copy()
        return np.where(self._live, self._x, x)

    def _smooth(self, diff: Array, dt: Array | float) -> Array:
        """The One Euro update itself: moves the estimate by `diff` (sample minus estimate,
        scaled in place by alpha) over `dt` (per element, or one for all); returns the new
        filtered derivative for the caller to keep where it updated."""
        assert self._x is not None and self._dx is not None
        a_d = dt / (dt + self._tau_d)
        edx = diff / dt
        edx -= self._dx
        edx *= a_d
        edx += self._dx
        r = np.abs(edx)  # r = 2*pi*cutoff*dt, alpha = r / (1 + r)
        r *= self.beta
        r += self.min_cutoff
        r *= dt
        r *= _TWO_PI
        diff *= r
        diff /= r + 1.0
        self._x += diff
        return edx

    def _any_step(self, x: Array, t: float, valid: Array) -> Array:
        """One step for any state: per-element times, restarts and masks."""
        assert self._x is not None and self._dx is not None and self._t is not None
        assert self._live is not None

        dt = t - self._t
        fresh = ~self._live
        if self.reset_after_s is not None:
            fresh |= dt > self.reset_after_s
        fresh &= valid
        update = dt > 0.0
        update &= valid
        update &= ~fresh

        # One Euro step for every element at once; elements not updated get diff = 0 and a
        # harmless dt of 1, so their value is unchanged and only their derivative is masked.
        # (putmask/count_nonzero: several times cheaper than where/any on arrays this small.)
        skip = ~update
        dt_safe = dt.copy()
        np.putmask(dt_safe, skip, 1.0)
        diff = x - self._x  # NaN/inf only where not updated, and masked out next
        np.putmask(diff, skip, 0.0)
        edx = self._smooth(diff, dt_safe)
        np.putmask(self._dx, update, edx)
        if np.count_nonzero(fresh):
            np.putmask(self._x, fresh, x)
            np.putmask(self._dx, fresh, 0.0)
            self._live |= fresh
            update |= fresh
        np.putmask(self._t, update, t)
        self._note_steady(valid, update, t)
        if self._all_live:
            return self._x.copy()
        return np.where(self._live, self._x, x)


class LandmarkFilter:
    """Smooths a stream of `Pose`s (image x, y, z and world x, y, z) with a One Euro filter.

    Call once per frame with the estimator's output: `smoothed = lf(pose)` (None passes through
    and resets the filter, since the next pose may be someone else or somewhere else).

    Visibility-aware: a landmark with visibility below `min_visibility` is not fed to the filter;
    its coordinates are held at the last smoothed estimate (raw if it was never seen) and its
    visibility stays the raw low value, so downstream code still treats it as missing. A landmark
    unseen for more than `reset_after_s`, or any frame gap that long, restarts from the next
    sample rather than gliding from a stale position. Time going backwards resets everything
    (a new stream, e.g. a looped video).

    Defaults are tuned for MediaPipe's normalised image coordinates at 20-30 fps. There a still
    landmark jitters by about 0.0001-0.005 (0.1-3 px on 640 px, measured on the shared clips) and
    a moving joint travels about 0.2-1.5 image widths per second. `min_cutoff=1.0` Hz removes
    most jitter at rest (rehab reps are well below 1 Hz), and `beta=5.0` (per unit/s) lifts the
    cutoff to a few Hz while a joint moves. On simulated reps (0.08-0.25 amplitude, 1.5-4 s
    period, noise sd 0.001-0.005) this cuts jitter at rest by ~60% and leaves the rep peaks within
    0.1% of their true height, with 1-2 frames of lag; the paper's beta=0.007 (meant for pixels)
    would lag ~3 frames and shave ~3% off the peaks. World coordinates (metres, body ~1.7 m
    tall) move at similar magnitudes, so the same parameters serve both. MediaPipe already
    smooths in tracking mode; this filter adds the timestamp- and visibility-aware part on top.
    """

    def __init__(
        self,
        min_cutoff: float = 1.0,
        beta: float = 5.0,
        d_cutoff: float = 1.0,
        min_visibility: float = 0.5,
        reset_after_s: float = 0.5,
        filter_world: bool = True,
    ) -> None:
        self.min_visibility = float(min_visibility)
        self.reset_after_s = float(reset_after_s)
        self.filter_world = filter_world
        self._filter = OneEuroFilter(min_cutoff, beta, d_cutoff, reset_after_s=reset_after_s)
        self._last_t: float | None = None

    def reset(self) -> None:
        """Forget all state (e.g. when switching to another video)."""
        self._filter.reset()
        self._last_t = None

    def __call__(self, pose: Pose | None) -> Pose | None:
        """The smoothed pose for this frame (a new `Pose`; the input is not modified)."""
        if pose is None:
            self.reset()
            return None
        if self._last_t is not None and pose.t < self._last_t:
            self.reset()
        self._last_t = pose.t

        lm = pose.landmarks
        vis = lm[:, 3]
        # NaN visibility compares False: not seen. The threshold in the array's own type, as
        # numpy casts a Python float for the comparison, without that cast's cost.
        floor = (
            vis.dtype.type(self.min_visibility) if vis.dtype.kind == "f" else self.min_visibility
        )
        seen = vis >= floor
        use_world = self.filter_world and pose.world is not None
        # One (33, 6) array: image x, y, z then world x, y, z, filtered in a single update.
        sample = np.empty((lm.shape[0], 6))
        sample[:, :3] = lm[:, :3]
        # NaN world: that state is held, not updated (NaN counts as masked out).
        sample[:, 3:] = pose.world if use_world else np.nan
        out = self._filter(sample, pose.t, seen[:, None])

        landmarks = lm.astype(np.float32)  # a copy: visibility as it came, then x, y, z
        landmarks[:, :3] = out[:, :3]
        world: Array | None = None
        if pose.world is not None:
            world = out[:, 3:].astype(np.float32) if use_world else pose.world.copy()
        return Pose(landmarks=landmarks, t=pose.t, image_size=pose.image_size, world=world)

    update = __call__
