"""`coach serve`: start the web app.

The one deliberate upward import of the project (coach < web): the command line is where a
user asks for the server, so this module reaches up to `web.server`. Nothing else in coach/
imports web/ (checked by the import contracts in pyproject.toml).
"""

from __future__ import annotations

import argparse
from typing import Any

from coach.errors import EXIT_OK, UsageError


def run(args: argparse.Namespace) -> int:
    from web.server import serve  # imported here: the other commands never load the web app

    if args.keyfile and not args.certfile:
        raise UsageError("--keyfile goes with --certfile")
    if args.https and args.certfile:
        raise UsageError("--https makes its own certificate; leave out --certfile or --https")
    status = serve(
        host=args.host,
        port=args.port,
        database_url=args.database_url,
        certfile=args.certfile,
        keyfile=args.keyfile,
        self_signed=args.https,
        redis_url=args.redis_url,
    )
    return status or EXIT_OK


def add_parser(sub: Any) -> None:
    s = sub.add_parser("serve", help="start the live coaching web app")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument(
        "--database-url",
        help="SQLAlchemy URL of the store (default: COACH_DATABASE_URL, else the SQLite file "
        "coach.db in COACH_DATA_DIR or ~/.local/share/coach)",
    )
    s.add_argument(
        "--redis-url",
        help="Redis of a cluster of servers (default: COACH_REDIS_URL; none: one machine): "
        "uploads are analysed by `coach worker` processes, see docs/DEPLOY.md",
    )
    s.add_argument(
        "--https",
        action="store_true",
        help="serve over https with a self-signed certificate, made once and kept in the data "
        "directory (for a clinic's LAN: a patient's browser allows the camera only over https)",
    )
    s.add_argument("--certfile", metavar="CERT.pem", help="serve over https with this certificate")
    s.add_argument("--keyfile", metavar="KEY.pem", help="its private key (if not in --certfile)")
    s.set_defaults(func=run)
