"""The Store's patients and their personal links. A patient may have an account of their
own, so this part stands on the accounts part (`UserStore`)."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from coach.i18n.locales import language
from coach.store import accounts
from coach.store.accounts import AccountError, Identity
from coach.store.models import LoginSession, Patient, PatientLink, utcnow
from coach.store.users import UserStore

MAX_NAME = 200  # characters: patients.name is a String(200)


class PatientStore(UserStore):
    def create_patient(
        self,
        therapist_id: int,
        name: str,
        *,
        birth_year: int | None = None,
        sex: str | None = None,
        notes: str = "",
        username: str | None = None,
        password: str | None = None,
    ) -> Patient:
        if not name.strip():
            raise AccountError("a patient needs a name")
        if len(name.strip()) > MAX_NAME:  # the column's size (PostgreSQL refuses longer)
            raise AccountError(f"a name is at most {MAX_NAME} characters")
        if sex not in (None, "", "female", "male"):
            raise AccountError("sex is 'female' or 'male' (used for reference values)")
        this_year = datetime.now(timezone.utc).year
        if birth_year is not None and not 1900 <= birth_year <= this_year:
            raise AccountError(f"birth year must be between 1900 and {this_year}")
        user_id = None
        if username:
            user_id = self.create_user(username, name, password or "", role="patient").id
        with self.factory.begin() as db:
            patient = Patient(
                therapist_id=therapist_id,
                user_id=user_id,
                name=name.strip(),
                birth_year=birth_year,
                sex=sex or None,
                notes=notes,
            )
            db.add(patient)
        return patient

    def patient(self, patient_id: int) -> Patient | None:
        with self.factory() as db:
            return db.get(Patient, patient_id, options=[selectinload(Patient.program_items)])

    def patients_of(self, therapist_id: int) -> list[Patient]:
        with self.factory() as db:
            q = select(Patient).where(Patient.therapist_id == therapist_id).order_by(Patient.name)
            return list(db.scalars(q.options(selectinload(Patient.program_items))))

    def patient_visible_to(self, identity: Identity | None, patient_id: int) -> Patient | None:
        """The patient if this identity may see them (their therapist, or themselves)."""
        if identity is None:
            return None
        patient = self.patient(patient_id)
        if patient is None:
            return None
        if identity.is_therapist and patient.therapist_id == identity.user_id:
            return patient
        if identity.role == "patient" and identity.patient_id == patient.id:
            return patient
        return None

    def set_language(self, patient_id: int, code: str | None) -> None:
        """The patient's language (a code of coach.i18n.locales), or None: their browser's."""
        if code is not None and language(code) is None:
            raise AccountError(f"no catalog for the language {code!r}")
        with self.factory.begin() as db:
            patient = db.get(Patient, patient_id)
            if patient is not None:
                found = language(code) if code else None
                patient.language = found.code if found else None

    def create_link(self, patient_id: int) -> tuple[PatientLink, str]:
        token = secrets.token_urlsafe(24)
        with self.factory.begin() as db:
            link = PatientLink(patient_id=patient_id, token_hash=accounts.token_hash(token))
            db.add(link)
        return link, token

    def links_of(self, patient_id: int) -> list[PatientLink]:
        with self.factory() as db:
            q = select(PatientLink).where(PatientLink.patient_id == patient_id)
            return list(db.scalars(q.order_by(PatientLink.id)))

    def revoke_link(self, patient_id: int, link_id: int) -> bool:
        with self.factory.begin() as db:
            link = db.get(PatientLink, link_id)
            if link is None or link.patient_id != patient_id:
                return False
            link.revoked_at = utcnow()
            # The sign-ins it made end now; their rows stay (expired) so that the patient's
            # browser can be told why (`ended_by_revocation`) instead of just signed out.
            db.execute(
                update(LoginSession)
                .where(LoginSession.link_id == link_id)
                .values(expires_at=link.revoked_at)
            )
            return True

    def ended_by_revocation(self, token: str | None) -> bool:
        """Whether this cookie token was signed in by a personal link since revoked."""
        if not token or len(token) > 200:
            return False
        with self.factory() as db:
            login = db.get(LoginSession, accounts.token_hash(token))
            if login is None or login.link_id is None:
                return False
            link = db.get(PatientLink, login.link_id)
            return link is not None and link.revoked_at is not None

    def resolve_link(self, token: str) -> PatientLink | None:
        with self.factory() as db:
            link = db.scalar(
                select(PatientLink).where(PatientLink.token_hash == accounts.token_hash(token))
            )
            return link if link is not None and link.revoked_at is None else None
