"""The patient's side of a live session: their page's outbox while they are connected, the
frame path serving that connection (coach.live.frames), and the frame counts across
connections. Replies about single frames (`dropped`, `error`) go out from here."""

from __future__ import annotations

from coach.live.frames import (
    DeviceFrames,
    FrameOwner,
    FramePath,
    FrameStats,
    ServerFrames,
    dropped,
    expects_jpegs,
    frame_error,
)
from coach.live.landmarks import LandmarkMessage
from coach.live.options import SessionOptions
from coach.live.outbox import Outbox, Outgoing
from coach.live.protocol import DEVICE, SERVER, PoseMode

PATIENT_FRAMES = 4  # the patient's queue keeps at most this many frames


class PatientSide:
    """Who is connected and how: `connect` (start the frame path; the model loads off the
    loop), `open` (the page's outbox, frames flow), `close` (no more frames; the path is
    handed back to be finished)."""

    def __init__(self, owner: FrameOwner, options: SessionOptions) -> None:
        self._owner = owner
        self._options = options
        self.stats = FrameStats()
        self.outbox: Outbox | None = None
        self.frames: FramePath | None = None
        self.pose: PoseMode = SERVER  # where the current (or last) connection runs the model
        self.address: str | None = None  # the patient's client address, while connected
        self.attaching = False  # a pipeline is being started for this session

    async def connect(self, pose: PoseMode, address: str | None) -> None:
        """Start the frame path of a new connection (a model in a worker for "server", a
        filter and engine here for "device"); raises what its start raises."""
        self.attaching = True
        self.pose, self.address = pose, address
        frames = self._path(pose)
        try:
            await frames.start()
        finally:
            self.attaching = False
        self.frames = frames

    def open(self, max_backlog: int) -> Outbox:
        """The connected page's outbox; frames flow from now on."""
        # A device page draws its own landmarks: its replies go without them (followers' not).
        landmarks = self.pose != DEVICE
        outbox = Outbox(max_frames=PATIENT_FRAMES, max_backlog=max_backlog, landmarks=landmarks)
        self.outbox = outbox
        if self.frames is not None:
            self.frames.run()
        return outbox

    async def close(self) -> FramePath | None:
        """The page is gone: take no more frames; the frame path, to finish (None: none)."""
        self.outbox = None
        self.address = None
        if self.frames is not None:
            await self.frames.halt()
        frames, self.frames = self.frames, None
        return frames

    def _path(self, pose: PoseMode) -> FramePath:
        options = self._options
        if pose == DEVICE:
            return DeviceFrames(
                self._owner, self.stats, factory=options.landmark_processor, clock=options.clock
            )
        return ServerFrames(
            self._owner,
            self.stats,
            factory=options.processor_factory,
            decode=options.decode,
            new_worker=options.new_worker,
            clock=options.clock,
            max_age_s=options.max_frame_age_s,
        )

    # ---- from the page ---------------------------------------------------------------------
    def offer_frame(self, data: bytes) -> int:
        """Take one encoded frame (a JPEG); returns its sequence number."""
        self.stats.last_seq += 1
        self.stats.received += 1
        if self.outbox is not None and self.frames is not None:
            self.frames.offer_frame(self.stats.last_seq, data)
        return self.stats.last_seq

    def offer_landmarks(self, msg: LandmarkMessage) -> None:
        """One checked landmark message (coach.live.landmarks)."""
        self.stats.received += 1
        if self.outbox is None or self.frames is None:
            self.reply(expects_jpegs(msg.seq))
            return
        self.frames.offer_landmarks(msg)

    def refuse_landmarks(self, seq: int | None, reason: str) -> None:
        """A landmark message that failed its checks."""
        self.stats.received += 1
        self.stats.rejected += 1
        self.reply(frame_error(seq, "bad_landmarks", reason))

    def drop_landmarks(self, seq: int, reason: str) -> None:
        """A landmark message not processed (over the rate limit)."""
        self.stats.received += 1
        self.stats.dropped += 1
        self.reply(dropped(seq, reason))

    def send_off(self, message: Outgoing, code: int, reason: str) -> Outbox | None:
        """Say `message` to the connected page and close its socket (`code`, `reason`);
        returns its outbox (None: no page was connected)."""
        outbox = self.outbox
        if outbox is not None:
            outbox.put(message)
            outbox.close(code, reason)
        return outbox

    def reply(self, message: Outgoing) -> None:
        """To the page, while it is connected."""
        if self.outbox is not None:
            self.outbox.put(message)
