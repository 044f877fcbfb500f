"""GET /api/exercises/{id}/demo: an exercise's demonstration (exercises.demonstrations), for
web/static/demo.js. Public like the exercise list: it holds no one's data."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException

from exercises.demonstrations import load_demo


def mount_demos(app: FastAPI) -> None:
    @app.get("/api/exercises/{exercise_id}/demo")
    async def exercise_demo(exercise_id: str) -> dict[str, Any]:
        demo = load_demo(exercise_id)
        if demo is None:
            raise HTTPException(404, "No demonstration for this exercise.")
        return demo
