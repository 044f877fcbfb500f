"""The Store's accounts and sign-ins: therapists' and patients' logins, the browser sessions
they open (a cookie token, stored hashed) and who a token signs in as.

Usernames are kept as typed but matched without case ("Mara" signs in as "mara": a phone
capitalises the first letter), and a new one may not differ from an existing one by case
only. Two accounts made before that rule, differing only by case, each keep their exact
spelling; neither matches the other's."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from coach.store import accounts
from coach.store.accounts import AccountError, Identity
from coach.store.models import LoginSession, Patient, PatientLink, User, aware, utcnow
from coach.store.part import StorePart

LOGIN_TTL = timedelta(hours=12)
LINK_LOGIN_TTL = timedelta(days=30)
PENDING_TTL = timedelta(minutes=5)  # a password checked, waiting for the second factor
STAGES = ("code", "enrol")  # what a pending sign-in waits for (models.LoginSession.stage)


class UserStore(StorePart):
    def create_user(
        self,
        username: str,
        name: str,
        password: str,
        *,
        role: str = "therapist",
        is_admin: bool = False,
    ) -> User:
        username = accounts.check_username(username)
        if role not in ("therapist", "patient"):
            raise AccountError(f"unknown role {role!r}")
        if not name.strip():
            raise AccountError("a name is required")
        pw_hash = accounts.hash_password(password, (username, name))
        with self.factory.begin() as db:
            if _named(db, username):
                raise AccountError(f"the username {username!r} is taken")
            user = User(
                username=username,
                name=name.strip(),
                role=role,
                is_admin=is_admin,
                password_hash=pw_hash,
            )
            db.add(user)
        return user

    def users(self, role: str | None = None) -> list[User]:
        with self.factory() as db:
            q = select(User).order_by(User.id)
            if role:
                q = q.where(User.role == role)
            return list(db.scalars(q))

    def user(self, user_id: int) -> User | None:
        with self.factory() as db:
            return db.get(User, user_id)

    def user_named(self, username: str) -> User | None:
        """The account of a username, matched without case (None: no such user)."""
        with self.factory() as db:
            return _one(_named(db, username), username)

    def authenticate(self, username: str, password: str) -> User | None:
        with self.factory.begin() as db:
            user = _one(_named(db, username), username)
            ok = accounts.verify_password(user.password_hash if user else None, password)
            if not ok or user is None or not user.active:
                return None
            if user.password_hash and accounts.needs_rehash(user.password_hash):
                user.password_hash = accounts.rehash_password(password)
            return user

    def set_password(self, user_id: int, password: str) -> None:
        with self.factory.begin() as db:
            user = db.get(User, user_id)
            if user is None:
                raise AccountError("no such user")
            user.password_hash = accounts.hash_password(password, (user.username, user.name))
            db.execute(delete(LoginSession).where(LoginSession.user_id == user_id))

    def start_login(
        self,
        *,
        user_id: int | None = None,
        patient_id: int | None = None,
        link_id: int | None = None,
        stage: str = "",
    ) -> str:
        """A new sign-in's cookie token. `stage` "code" or "enrol": only the password is
        checked yet (`pending_login`, `finish_login`); it signs in as no one meanwhile."""
        token = accounts.new_token()
        ttl = LINK_LOGIN_TTL if link_id is not None else LOGIN_TTL
        if stage:
            assert stage in STAGES, stage
            ttl = PENDING_TTL
        with self.factory.begin() as db:
            db.add(
                LoginSession(
                    token_hash=accounts.token_hash(token),
                    user_id=user_id,
                    patient_id=patient_id,
                    link_id=link_id,
                    expires_at=utcnow() + ttl,
                    stage=stage,
                )
            )
        return token

    def pending_login(self, token: str | None, stage: str) -> User | None:
        """The user of a sign-in waiting at `stage` ("code", "enrol"), if not expired."""
        if not token or len(token) > 200:
            return None
        with self.factory() as db:
            login = db.get(LoginSession, accounts.token_hash(token))
            if login is None or login.stage != stage or aware(login.expires_at) < utcnow():
                return None
            user = db.get(User, login.user_id) if login.user_id is not None else None
            return user if user is not None and user.active else None

    def finish_login(self, token: str, user_id: int) -> str:
        """The second factor is done: the pending sign-in goes, a full one comes."""
        with self.factory.begin() as db:
            db.execute(
                delete(LoginSession).where(LoginSession.token_hash == accounts.token_hash(token))
            )
        return self.start_login(user_id=user_id)

    def identity(self, token: str | None) -> Identity | None:
        """The signed-in identity of a cookie token, or None (unknown, expired, revoked)."""
        if not token:
            return None
        with self.factory() as db:
            login = db.get(LoginSession, accounts.token_hash(token))
            if login is None or login.stage or aware(login.expires_at) < utcnow():
                return None
            if login.link_id is not None:
                link = db.get(PatientLink, login.link_id)
                if link is None or link.revoked_at is not None:
                    return None
            if login.patient_id is not None:
                patient = db.get(Patient, login.patient_id)
                if patient is None:
                    return None
                return Identity(
                    "patient",
                    patient.name,
                    patient_id=patient.id,
                    audit_ref=patient.audit_ref,
                    language=patient.language,
                )
            user = db.get(User, login.user_id) if login.user_id is not None else None
            if user is None or not user.active:
                return None
            if user.role == "patient":
                patient = db.scalar(select(Patient).where(Patient.user_id == user.id))
                if patient is None:
                    return None
                return Identity(
                    "patient",
                    patient.name,
                    user_id=user.id,
                    patient_id=patient.id,
                    audit_ref=patient.audit_ref,
                    language=patient.language,
                )
            return Identity("therapist", user.name, user_id=user.id, is_admin=user.is_admin)

    def end_login(self, token: str) -> None:
        with self.factory.begin() as db:
            db.execute(
                delete(LoginSession).where(LoginSession.token_hash == accounts.token_hash(token))
            )


def _named(db: Session, username: str) -> list[User]:
    """The accounts whose username equals `username` without case (usernames are ASCII, so
    SQL lower() folds them the same on SQLite and PostgreSQL)."""
    wanted = username.strip().lower()
    return list(db.scalars(select(User).where(func.lower(User.username) == wanted)))


def _one(users: list[User], username: str) -> User | None:
    """The one account meant: the only match, else (accounts older than the rule, differing
    by case only) the exact spelling, else none."""
    if len(users) == 1:
        return users[0]
    exact = [u for u in users if u.username == username.strip()]
    return exact[0] if len(exact) == 1 else None
