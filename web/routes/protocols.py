"""The clinical tests for therapists: every protocol's reference values with their sources
(/protocols), and one patient's stored results against them (/patients/ID/protocols).

Results are stored by `coach protocol NAME VIDEO --save --patient ID` (coach/cli/protocol.py);
the values and citations come from exercises/norms/*.toml, never from this module."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from coach.offline.protocols import PROTOCOLS
from exercises.norms import load_norms, norm_ids
from scoring.protocols import Norms
from web.routes.deps import StoreDep, TherapistDep, TherapistsPatientDep
from web.routes.pages import render

router = APIRouter()

# The command-line id of each norms file's test (`coach protocol list`).
COMMANDS = {
    "chair_stand_30s": "chair-stand",
    "five_times_sit_to_stand": "five-times-sit-to-stand",
    "single_leg_stance": "single-leg-stance",
    "four_stage_balance": "four-stage-balance",
    "range_of_motion": "rom",
}


def _table(norms: Norms) -> dict[str, Any]:
    """A norms file as rows for the page: age bands (with sex) and their values."""
    keys = sorted({k for b in norms.bands for k in b.values})
    rows = [{"label": b.label(), "values": [b.values.get(k) for k in keys]} for b in norms.bands]
    return {"columns": [k.replace("_", " ") for k in keys], "rows": rows}


def norms_overview() -> list[dict[str, Any]]:
    out = []
    for norm_id in norm_ids():
        norms = load_norms(norm_id)
        command = COMMANDS.get(norm_id, "")
        out.append(
            {
                "id": norm_id,
                "norms": norms,
                "table": _table(norms),
                "constants": {k.replace("_", " "): v for k, v in norms.constants.items()},
                "stages": norms.extra.get("stages", []),
                "movements": norms.extra.get("movements", []),
                "command": command,
                "what": PROTOCOLS.get(command, ""),
            }
        )
    return out


@router.get("/protocols", include_in_schema=False)
def protocols_page(request: Request, who: TherapistDep) -> HTMLResponse:
    return render(request, "protocols.html", who, tests=norms_overview(), patient=None, results=[])


@router.get("/patients/{patient_id}/protocols", include_in_schema=False)
def patient_protocols(
    request: Request, who: TherapistDep, patient: TherapistsPatientDep, store: StoreDep
) -> HTMLResponse:
    age = date.today().year - patient.birth_year if patient.birth_year else None
    results = [
        {"row": r, "result": r.result or {}}
        for r in sorted(
            store.protocol_results(patient.id), key=lambda r: r.created_at, reverse=True
        )
    ]
    return render(
        request,
        "protocols.html",
        who,
        tests=norms_overview(),
        patient=patient,
        age=age,
        results=results,
    )
