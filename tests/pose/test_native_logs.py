"""Native start-up lines hidden from two threads at once (the guard's detector and the pose
model start on different threads): fd 2 comes back only when the last one is done."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from pose.native_logs import native_stderr_silenced


def test_overlapping_silences_hide_fd2_until_the_last_ends(tmp_path: Path) -> None:
    log = tmp_path / "stderr.txt"
    real = os.dup(2)
    target = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(target, 2)
    try:
        first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

        def first() -> None:
            with native_stderr_silenced():
                first_in.set()
                second_in.wait(10)
            first_out.set()

        def second() -> None:
            first_in.wait(10)
            with native_stderr_silenced():
                second_in.set()
                first_out.wait(10)
                os.write(2, b"native start-up line\n")  # the first has left: still hidden

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        os.write(2, b"our own message\n")
    finally:
        os.dup2(real, 2)
        os.close(real)
        os.close(target)
    assert log.read_text() == "our own message\n"
