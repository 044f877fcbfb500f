"""The `coach` command: analyze, protocol, eval, exercises, serve, worker, live, reference, admin,
assets, export and import (records as FHIR).

One module per command, each with `add_parser(sub)` and `run(args)`. Bad input gets a one-line
reason on stderr and a non-zero exit, never a traceback; the exit codes live in coach.errors
(0 ok, 1 unexpected error, 2 bad input, 3 no person found in the video).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType

from coach.cli.common import fail
from coach.errors import (
    EXIT_BAD_INPUT,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NO_PERSON,
    NoPersonFound,
    UsageError,
)
from pose.native_logs import quiet_native_logs

# command -> its module in coach/cli/. A command's module is imported only when it runs (or
# for `coach --help`): `coach analyze` need not load the database layer (0.3 s of CPU).
COMMANDS = {
    "analyze": "analyze",
    "protocol": "protocol",
    "eval": "evaluate",
    "exercises": "exercises",
    "serve": "serve",
    "worker": "worker",
    "live": "live",
    "reference": "reference",
    "admin": "admin",
    "assets": "assets",
    "records": "records",
}


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"coach.cli.{COMMANDS[name]}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `only` that one."""
    p = argparse.ArgumentParser(
        prog="coach",
        description="Camera-based exercise coach for home rehabilitation: counts reps, times "
        "balance holds, measures range of motion and flags faulty movement.",
        epilog="Examples:\n  coach exercises list\n  coach analyze clip.mp4 --exercise squat\n"
        "  coach analyze clip.mp4 --exercise squat --json --annotate out.mp4\n"
        "  coach serve            # live coaching page on http://127.0.0.1:8000\n"
        "  coach live --exercise squat --video clip.mp4 --no-window",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if only is None or name == only:
            command_module(name).add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    quiet_native_logs()
    argv = sys.argv[1:] if argv is None else argv
    try:  # the command's imports take a second or two: Ctrl+C then is an interrupt too
        parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_BAD_INPUT
        return int(args.func(args))
    except UsageError as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    except NoPersonFound as exc:
        return fail(str(exc), EXIT_NO_PERSON)
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:  # last resort: one line, never a traceback
        return fail(f"unexpected error: {type(exc).__name__}: {exc}", EXIT_ERROR)
