"""`coach admin`: database and account chores that come before anyone can sign in.

    coach admin migrate                       create or upgrade the database schema
    coach admin create-therapist USER --name "Dr Ada Lovelace" [--admin]
    coach admin set-password USER
    coach admin users
    coach admin erase-patient ID [--yes]      a patient's right to erasure (admin_rights.py)
    coach admin retention [--dry-run]         delete per-frame poses and videos after N days
    coach admin audit export|verify           the audit trail (admin_audit.py)
    coach admin reset-2fa USER                remove a therapist's second factor

Passwords are read from the terminal (twice), or from standard input with
`--password-stdin` (one line; for scripts), never from the command line where `ps` shows them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from coach.cli import admin_audit, admin_rights
from coach.cli.common import audit_cli, store_or_usage_error
from coach.errors import EXIT_OK, UsageError
from coach.store import database_url
from coach.store.accounts import AccountError
from coach.store.db import current_revision, shown_url


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UsageError("no password on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise UsageError("the two passwords differ")
    return first


def run(args: argparse.Namespace) -> int:
    action = args.admin_action
    if action is None:
        raise UsageError(
            "say what to do: migrate, create-therapist, set-password, users, erase-patient, "
            "retention, audit or reset-2fa"
        )
    store = store_or_usage_error()
    try:
        if action in admin_rights.ACTIONS:
            return admin_rights.run(action, args, store)
        if action in admin_audit.ACTIONS:
            return admin_audit.run(action, args, store)
        if action == "migrate":
            revision = current_revision(store.engine)
            print(f"database {shown_url(database_url())} is at revision {revision}")
        elif action == "create-therapist":
            password = _read_password(args)
            user = store.create_user(
                args.username, args.name or args.username, password, is_admin=args.admin
            )
            audit_cli(store, "account.create", subject=f"user:{user.id}")
            print(f"created therapist {user.username} (id {user.id}); sign in at /login")
            if user.is_admin:
                print("as an admin, they set up a second factor (an app's codes) at first sign-in")
        elif action == "set-password":
            named = store.user_named(args.username)
            if named is None:
                raise UsageError(f"no user {args.username!r}")
            store.set_password(named.id, _read_password(args))
            audit_cli(store, "account.password", subject=f"user:{named.id}")
            print(f"password of {args.username} changed; their open sign-ins were ended")
        elif action == "users":
            for u in store.users():
                flags = " admin" if u.is_admin else ""
                if u.role == "therapist" and store.factor_status(u.id).on:
                    flags += " 2fa"
                print(f"{u.id:4d} {u.role:9s} {u.username:30s} {u.name}{flags}")
    except AccountError as exc:
        raise UsageError(str(exc)) from None
    finally:
        store.close()
    return EXIT_OK


def add_parser(sub: Any) -> None:
    a = sub.add_parser("admin", help="database and accounts: migrate, create-therapist, ...")
    asub = a.add_subparsers(dest="admin_action", metavar="ACTION")
    asub.add_parser("migrate", help="create or upgrade the database schema")
    c = asub.add_parser("create-therapist", help="create a therapist account")
    c.add_argument("username")
    c.add_argument("--name", help="full name shown on the pages")
    c.add_argument("--admin", action="store_true", help="may also manage other accounts")
    c.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    s = asub.add_parser("set-password", help="set a user's password (ends their sign-ins)")
    s.add_argument("username")
    s.add_argument("--password-stdin", action="store_true")
    asub.add_parser("users", help="list the accounts")
    admin_rights.add_parsers(asub)
    admin_audit.add_parsers(asub)
    a.set_defaults(func=run)
