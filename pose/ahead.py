"""Items made ahead on a thread of their own, handed over in order through a bounded queue.

A pipeline stage whose work releases the GIL (FFmpeg decoding, the pose model) runs beside
the next one: `coach analyze` decodes frames on one thread (`pose.sources.Prefetched`) and
runs the model on another while the main thread scores the pose before.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from typing import TypeVar, cast

T = TypeVar("T")


class _Failed:
    """What the making thread hands over when making raised: the consumer raises it."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


def ahead(items: Iterable[T], *, depth: int, name: str) -> Generator[T, None, None]:
    """`items` in their order, made on a thread called `name` (started at the first item
    asked for) at most `depth` ahead of the consumer: memory stays `depth` items, however
    many there are. An error while making them is raised to the consumer where it happened,
    after the items before it; a consumer that stops early (closes this iterator) stops the
    thread and waits for it."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    return _handed_over(items, depth, name)


def _handed_over(items: Iterable[T], depth: int, name: str) -> Generator[T, None, None]:
    made: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    maker = threading.Thread(target=_make, args=(items, made, stop), name=name, daemon=True)
    maker.start()
    try:
        while (item := made.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.exc
            yield cast(T, item)  # what `items` gave
    finally:
        stop.set()
        maker.join()


def _make(items: Iterable[object], made: queue.Queue[object], stop: threading.Event) -> None:
    """The making thread: items into the queue until the end, an error or `stop`."""

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                made.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    try:
        for item in items:
            if not put(item):
                return
    except BaseException as exc:  # handed to the consumer, raised there
        put(_Failed(exc))
        return
    put(_END)
