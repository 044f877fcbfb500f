"""Errors every layer of `coach` may raise, and the exit codes the CLI maps them to.

A leaf module: it imports nothing of ours, so the CLI, the offline runners and the web layer
can all share these types without importing each other.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1  # anything unexpected
EXIT_BAD_INPUT = 2  # a missing file, an unknown exercise, an invalid definition, ...
EXIT_NO_PERSON = 3  # not one frame of the video had a person in it
EXIT_INTERRUPTED = 130  # Ctrl+C


class UsageError(Exception):
    """Bad input from the user: reported on one line, exit status 2."""


class NoPersonFound(Exception):
    """Not one frame had a person in it: there is nothing to score (exit status 3)."""


class ReferenceRefused(ValueError):
    """A session can't become a patient's reference; the message says why, for the user."""
