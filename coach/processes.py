"""Child processes that never outlive the process that started them, and the cores to fill.

A live session's pose worker (coach/live/worker.py) and the extra processes of `coach
worker --processes N` (coach/offline/queue.py) are children doing CPU work on their parent's
behalf: when the parent dies (a `kill -9`, an OOM kill) nobody will ever hand them work
again, so they must go too (`die_with_parent`).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_CHECK_S = 1.0


def cores() -> int:
    """The CPU cores this process may run on (its affinity, where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def parent_gone(parent_pid: int) -> bool:
    """True once the process that started this one has died. POSIX re-parents an orphan
    (its parent pid changes); Windows does not, so there the parent's handle is asked."""
    if os.getppid() != parent_pid:
        return True
    parent = multiprocessing.parent_process()
    return sys.platform == "win32" and parent is not None and not parent.is_alive()


def _watch_parent(parent_pid: int) -> None:
    while not parent_gone(parent_pid):
        time.sleep(PARENT_CHECK_S)
    os._exit(1)  # the parent is gone: nobody will ever hand this process work again


def die_with_parent(parent_pid: int) -> None:
    """Child initializer: end this process when its parent dies, however it dies.

    On Linux the kernel SIGKILLs the child when the thread that started it ends (the
    server's event loop thread, the worker's main thread: they live as long as their
    process). Everywhere, a daemon thread polls for the parent; checking once right after
    `prctl` closes the race of a parent killed before the call.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)  # this process: libc is loaded
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no usable libc: the watchdog below still ends the process
    if parent_gone(parent_pid):
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="coach-parent-watch", daemon=True
    ).start()
