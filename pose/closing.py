"""A context-manager mixin for things that hold a file, device or model until `close()`."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

_T = TypeVar("_T", bound="Closing")


class Closing:
    """`with X(...) as x:` calls `x.close()` on the way out, even after an exception."""

    def close(self) -> None:  # pragma: no cover - overridden
        """Release what the object holds. Idempotent."""

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
