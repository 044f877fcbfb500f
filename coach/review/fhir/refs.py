"""How the resources of one bundle point at each other, and at what they describe.

Every entry's fullUrl is a `urn:uuid:` made from the patient's record and the thing's own key
(uuid5), so exporting the same record twice gives the same URLs, and two Coach installations'
patient 3 never share one. References inside the bundle use those URLs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from coach.store.models import aware

_NAMESPACE = uuid.UUID("5f0b5f7e-1d0a-4c59-9b53-6f1c0c9a2e11")  # Coach's, chosen once


class Ids:
    """The fullUrls of one patient's bundle."""

    def __init__(self, patient_id: int, created_at: datetime) -> None:
        self._seed = f"{patient_id}/{aware(created_at).isoformat()}"

    def url(self, kind: str, key: object = "") -> str:
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{self._seed}/{kind}/{key}')}"


def ref(url: str) -> dict[str, str]:
    return {"reference": url}


def when(dt: datetime | None, plus_s: float = 0.0) -> str | None:
    """An ISO dateTime with its offset (UTC), microseconds kept; None stays None."""
    if dt is None:
        return None
    return (aware(dt) + timedelta(seconds=plus_s)).isoformat()


def parse_when(text: str | None) -> datetime | None:
    if not text:
        return None
    return aware(datetime.fromisoformat(text.replace("Z", "+00:00")))


@dataclass
class Context:
    """What every part of one bundle refers to."""

    ids: Ids
    patient: str  # fullUrls
    device: str
    careplan: str | None = None
    sessions: dict[str, str] = field(default_factory=dict)  # session id -> Procedure fullUrl

    def entry(self, url: str, resource: dict[str, Any]) -> dict[str, Any]:
        return {"fullUrl": url, "resource": resource}
