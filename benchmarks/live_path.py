"""CPU time of one landmark message on the server, stage by stage, without the sockets.

What `benchmarks/live_load.py` measures end to end, taken apart: each message of the stored
tracks (as a `pose=device` page sends them) is parsed, checked, scored by the session
(filter + engine + frame message) and, as the socket's writer would, encoded for the page.
CPU time (`time.process_time`), not wall time, so other load on the machine changes the
figures less; best of `--repeat` passes over the four clips of live_load.py.

`--format binary`: the pages' binary landmark message instead of the JSON one (parse is then
nothing, check reads the bytes). `--framing`: also the WebSocket framing the server does
around each message with the websockets library uvicorn uses (sans-I/O, no socket): reading
the page's masked frame, and framing the reply; with per-message deflate, as browsers and
uvicorn negotiate it, unless `--no-deflate`.

    .venv/bin/python benchmarks/live_path.py [--repeat 5] [--format binary] [--framing]

Last line: `landmark path us_per_message=T parse=P check=C session=S encode=E [frame_in=I
frame_out=O]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from coach.live import LiveLimits, SessionRegistry, check_landmarks, parse_message
from coach.live.landmarks import (
    MAX_LANDMARK_CHARS,
    check_landmark_bytes,
    landmark_bytes,
    track_messages,
)
from web.frames import decode_frame

try:  # the socket writer's encoder
    from web.live_ws import encode
except ImportError:  # before it had one of its own

    def encode(message: dict[str, Any]) -> str:
        return json.dumps(message, separators=(",", ":"), allow_nan=False)


REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
CLIPS = ["medflex/squat", "rehab_bme410/elbow_flexion", "rehab_bme410/squat", "formfit/curl"]


def clip_texts(clip: dict[str, Any], binary: bool = False) -> list[str] | list[bytes]:
    lm = np.load(SHARED / clip["landmarks"])["lm"]
    messages = track_messages(lm, 30.0, (640, 480))
    if binary:
        return [landmark_bytes(m["seq"], m["t"], (640, 480), m["landmarks"]) for m in messages]
    return [json.dumps(m, separators=(",", ":")) for m in messages]


def _parse(message: str | bytes) -> dict[str, Any] | str | bytes:
    return message if isinstance(message, bytes) else parse_message(message, MAX_LANDMARK_CHARS)


def _check(message: Any, last_t: float | None) -> Any:
    check = check_landmark_bytes if isinstance(message, bytes) else check_landmarks
    return check(message, last_t)


class Framing:
    """One WebSocket connection in memory, sans-I/O: a page (websockets' client, as it masks
    and maybe compresses) and the server's side as uvicorn runs it (`ServerProtocol`)."""

    def __init__(self, deflate: bool) -> None:
        from websockets.client import ClientProtocol
        from websockets.extensions.permessage_deflate import (
            ClientPerMessageDeflateFactory,
            ServerPerMessageDeflateFactory,
        )
        from websockets.server import ServerProtocol
        from websockets.uri import parse_uri

        self.client = ClientProtocol(
            parse_uri("ws://127.0.0.1/ws/live"),
            extensions=[ClientPerMessageDeflateFactory()] if deflate else None,
            max_size=None,
        )
        self.server = ServerProtocol(
            extensions=[ServerPerMessageDeflateFactory()] if deflate else None,
            max_size=4 * 1024 * 1024,
        )
        self.client.send_request(self.client.connect())
        self._to_server()
        (request,) = self.server.events_received()
        self.server.send_response(self.server.accept(request))
        self._to_client()
        self.client.events_received()

    def _to_server(self) -> None:
        self.server.receive_data(b"".join(self.client.data_to_send()))

    def _to_client(self) -> None:
        self.client.receive_data(b"".join(self.server.data_to_send()))

    def page_frames(self, messages: list[str] | list[bytes]) -> list[bytes]:
        """What the page puts on the wire for each message (its cost is not the server's)."""
        out = []
        for m in messages:
            if isinstance(m, bytes):
                self.client.send_binary(m)
            else:
                self.client.send_text(m.encode())
            out.append(b"".join(self.client.data_to_send()))
        return out

    def read(self, wire: bytes) -> None:
        self.server.receive_data(wire)
        self.server.events_received()

    def write(self, text: str) -> bytes:
        self.server.send_text(text.encode())
        return b"".join(self.server.data_to_send())


async def one_pass(
    clips: list[tuple[str, list[str]]] | list[tuple[str, list[bytes]]],
    framing: bool = False,
    deflate: bool = True,
) -> tuple[int, list[float]]:
    """Every clip's messages through a fresh device session, one stage at a time over all of
    a clip's messages (reading a CPU clock costs microseconds here); CPU seconds per stage."""
    registry = SessionRegistry(
        decode=decode_frame, isolation="thread", limits=LiveLimits(max_per_address=0)
    )
    spent = [0.0] * 6
    n = 0
    clock = time.process_time
    for exercise, texts in clips:
        session, _ = registry.open(exercise, pose="device")
        outbox = await session.attach_patient("device")
        while len(outbox):  # the connection's own status messages
            await outbox.get()
        link = Framing(deflate) if framing else None
        wire = link.page_frames(texts) if link is not None else []
        z = clock()
        if link is not None:
            for frame in wire:
                link.read(frame)
        a = clock()
        parsed = [_parse(text) for text in texts]
        b = clock()
        checked, last_t = [], None
        for data in parsed:
            checked.append(_check(data, last_t))
            last_t = checked[-1].t
        c = clock()
        out = []
        for message in checked:
            session.offer_landmarks(message)
            while len(outbox):
                out.append(await outbox.get())
        d = clock()
        replies = [encode(item) for item in out if isinstance(item, dict)]
        e = clock()
        if link is not None:
            for reply in replies:
                link.write(reply)
        f = clock()
        for i, (start, end) in enumerate(((a, b), (b, c), (c, d), (d, e), (z, a), (e, f))):
            spent[i] += end - start
        n += len(texts)
        await session.detach_patient(outbox)
    return n, spent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--format", choices=["json", "binary"], default="json")
    ap.add_argument("--framing", action="store_true", help="time the WebSocket framing too")
    ap.add_argument("--no-deflate", action="store_true", help="framing without deflate")
    args = ap.parse_args(argv)
    manifest = {c["id"]: c for c in json.loads((SHARED / "MANIFEST.json").read_text())["videos"]}
    binary = args.format == "binary"
    clips = [(manifest[c]["exercise"], clip_texts(manifest[c], binary)) for c in CLIPS]
    best: list[float] | None = None
    n = 0
    for _ in range(max(1, args.repeat)):
        n, spent = asyncio.run(one_pass(clips, args.framing, not args.no_deflate))
        if best is None or sum(spent) < sum(best):
            best = spent
    assert best is not None
    us = [s / n * 1e6 for s in best]
    print(f"{n} {args.format} messages a pass, best of {args.repeat}")
    framed = ""
    if args.framing:
        framed = f" frame_in={us[4]:.0f} frame_out={us[5]:.0f}" + (
            " (no deflate)" if args.no_deflate else " (deflate)"
        )
    print(
        f"landmark path us_per_message={sum(us):.0f} parse={us[0]:.0f} check={us[1]:.0f} "
        f"session={us[2]:.0f} encode={us[3]:.0f}{framed}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
