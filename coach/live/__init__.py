"""Live coaching sessions: one pose pipeline per patient connection, followed by therapists.

The web layer (web/live_ws.py) only moves bytes and JSON between WebSockets and the objects
here; what a live session *means* lives in this package:

- `registry.SessionRegistry`: the sessions of one server; new, resumed after a reconnect,
  restored under the same id after a server restart (counting on from the page's count),
  expired `retain_s` after the patient left.
- `session.LiveSession`: one patient's set, made from `options.SessionOptions`; it wires its
  parts: `patient.PatientSide` (the patient's page and the frame path serving it:
  `frames.ServerFrames`, JPEGs to a worker in order, two at most in its hands (the model
  never waits for a result to be sent) and never a stale one, or `frames.DeviceFrames`, the
  page's landmarks), `plan.SetPlan` / `plan.TargetsPlan`
  (what the frames count towards; the setup check must pass before counting starts; counts
  survive a new pipeline) and `followers.Followers` (therapists following, their messages).
  Every event and frame goes to the session's event sinks (coach.sinks): an in-memory log,
  an optional `recorder`'s sink for the session (the seam for the session store) and the
  pages' outboxes; followers get the same frame messages (landmarks, no video unless the
  patient opts in). `report`: the hello and the summary the pages get.
- `spec.PipelineSpec`: what a pipeline is made for (exercise, reference, range limit, a
  targets task's schedule), handed to a `PipelineFactory`; `worker.PipelineWorker`: where a
  session's `FrameProcessor` runs: its own process by default (MediaPipe holds the GIL, so
  threads would share one core), freed on disconnect; `worker.WorkerPool` keeps a spare.
- `protocol`: the live protocol's types (`PoseMode`, the session's event kinds, the shapes
  of the messages a session builds; docs/LIVE-PROTOCOL.md) and `SessionError`.
- `outbox.Outbox`: per-socket queues that drop old frames, never events, for slow readers.
- `landmarks`: checks a `pose=device` page's landmark messages (hostile input until checked);
  `messages`: strict JSON for every text message; `limits.LiveLimits`: the caps, rates and
  timeouts of the live sockets (docs/SECURITY.md, "Live WebSocket").
- `readouts`: set progress and the other derived numbers the pages show.
- `lookups.PatientLookups`: a signed-in patient's reference and program row for a new session.
- `prescription.Prescription`: the session's dose (sets, reps, hold, rest, range limit) from
  the patient's program row, else the definition's defaults; `sets.SetFlow`: set, rest,
  next set, done (nothing counts while resting or after the last set).
- `targets.LiveTargets`: a hand-eye targets task's schedule (drawn once, seeded), the page's
  measured latency and the results so far; what the pages and the store get of it.
"""

from coach.live.landmarks import MAX_LANDMARK_CHARS, BadLandmarks, LandmarkMessage, check_landmarks
from coach.live.limits import LiveLimits, SocketSlots, TokenBucket
from coach.live.messages import echo_number, parse_message
from coach.live.options import Recorder, SessionOptions
from coach.live.outbox import Closing, Outbox
from coach.live.protocol import DEVICE, SERVER, PoseMode, SessionError
from coach.live.readouts import exercise_info, percentile, set_progress
from coach.live.registry import SESSION_ID_RE, SessionRegistry, default_processor
from coach.live.session import LiveSession
from coach.live.spec import PipelineSpec, Processor, ProcessorFactory
from coach.live.worker import FrameDecoder, Isolation, PipelineWorker
from coach.prescription import Prescription

__all__ = [
    "DEVICE",
    "MAX_LANDMARK_CHARS",
    "SERVER",
    "SESSION_ID_RE",
    "BadLandmarks",
    "LandmarkMessage",
    "LiveLimits",
    "SocketSlots",
    "TokenBucket",
    "check_landmarks",
    "echo_number",
    "parse_message",
    "Closing",
    "FrameDecoder",
    "Isolation",
    "LiveSession",
    "Outbox",
    "PipelineSpec",
    "PipelineWorker",
    "PoseMode",
    "Prescription",
    "Processor",
    "ProcessorFactory",
    "Recorder",
    "SessionError",
    "SessionOptions",
    "SessionRegistry",
    "default_processor",
    "exercise_info",
    "percentile",
    "set_progress",
]
