"""The Store's clinical test results (`coach protocol --save`): the protocol's JSON, kept
with its reference values and source."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from coach.store.models import ProtocolResult
from coach.store.part import StorePart


class ProtocolResultStore(StorePart):
    def add_protocol_result(
        self,
        patient_id: int | None,
        protocol: str,
        result: dict[str, Any],
        session_id: str | None = None,
    ) -> ProtocolResult:
        with self.factory.begin() as db:
            row = ProtocolResult(
                patient_id=patient_id, protocol=protocol, result=result, session_id=session_id
            )
            db.add(row)
        return row

    def protocol_results(self, patient_id: int) -> list[ProtocolResult]:
        with self.factory() as db:
            q = select(ProtocolResult).where(ProtocolResult.patient_id == patient_id)
            return list(db.scalars(q.order_by(ProtocolResult.created_at)))
