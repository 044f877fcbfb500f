"""`coach serve`: start the web app.

The one deliberate upward import of the project (coach < web): the command line is where a
user asks for the server, so this module reaches up to `web.server`. Nothing else in coach/
imports web/ (checked by the import contracts in pyproject.toml).
"""

from __future__ import annotations

import argparse
from typing import Any

from coach.errors import EXIT_OK


def run(args: argparse.Namespace) -> int:
    from web.server import serve  # imported here: the other commands never load the web app

    return serve(host=args.host, port=args.port, database_url=args.database_url) or EXIT_OK


def add_parser(sub: Any) -> None:
    s = sub.add_parser("serve", help="start the live coaching web app")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument(
        "--database-url",
        help="SQLAlchemy URL of the store (default: COACH_DATABASE_URL, else the SQLite file "
        "coach.db in COACH_DATA_DIR or ~/.local/share/coach)",
    )
    s.set_defaults(func=run)
