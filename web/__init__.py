"""The live coaching web app: FastAPI routes, the live WebSockets, and the static pages.

Talks to `coach/` only (coach.live holds the sessions); `create_app` builds the app.
"""

from web.app import create_app

__all__ = ["create_app"]
