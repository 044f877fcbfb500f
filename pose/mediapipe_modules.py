"""MediaPipe's pose solution and graph runner, imported without the rest of `import mediapipe`.

`import mediapipe` runs the package's `__init__`, which imports every legacy solution (and,
through their drawing helpers, matplotlib) and the whole Tasks API (audio, text, vision):
about 0.35 s of CPU at every start of `coach analyze`, more than the rest of Coach's own
start-up, for nothing the pose model or the person detector use. Here only the framework
bindings and the modules asked for are loaded.

The two packages whose `__init__` is skipped (`mediapipe`, `mediapipe.python.solutions`) are
put in `sys.modules` as the import system would, each with a module `__getattr__` (PEP 562)
that runs both skipped `__init__`s, in the order a plain import runs them, on the first use
of anything not loaded yet. So code that later says `import mediapipe as mp` and uses
`mp.solutions.hands`, `mp.tasks` or `mp.__version__` gets the package as ever
(tests/pose/test_mediapipe_modules.py compares its names with a plain import's).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from importlib.abc import Loader
from types import ModuleType
from typing import Any

# Deepest first: the order in which a plain `import mediapipe` finishes running them.
_SKIPPED = ("mediapipe.python.solutions", "mediapipe")
_lock = threading.RLock()
_loading = threading.local()  # inside `_import`: a submodule asked for loads alone
_pending: dict[str, tuple[ModuleType, Loader]] = {}  # packages whose __init__ is not run yet


def pose_solution() -> ModuleType:
    """`mediapipe.python.solutions.pose` (what `mp.solutions.pose` is)."""
    return _import("mediapipe.python.solutions.pose")


def solution_base() -> ModuleType:
    """`mediapipe.python.solution_base`: the runner of a graph given as text, with the pose
    solution loaded first: its imports register the options of the calculators a pose graph
    is made of (without them, a detection graph's text does not parse)."""
    pose_solution()
    return _import("mediapipe.python.solution_base")


def _import(name: str) -> ModuleType:
    with _lock:
        if "mediapipe" not in sys.modules:
            _skip_init("mediapipe")
            importlib.import_module("mediapipe.python")  # the bindings: a plain import
            _skip_init("mediapipe.python.solutions")
        _loading.active = True
        try:
            return importlib.import_module(name)
        finally:
            _loading.active = False


def _skip_init(name: str) -> None:
    """Package `name` in `sys.modules` with its `__init__` not run: its submodules import as
    usual; a missing attribute runs the skipped `__init__`s (`_finish`) first."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    module = importlib.util.module_from_spec(spec)

    def __getattr__(attr: str) -> Any:  # noqa: N807 - the module's own (PEP 562)
        # While `_import` loads a submodule, `from package import sub` asks for it here.
        loading = getattr(_loading, "active", False)
        if loading and importlib.util.find_spec(f"{name}.{attr}") is not None:
            return importlib.import_module(f"{name}.{attr}")
        _finish()
        try:
            return module.__dict__[attr]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None

    module.__dict__["__getattr__"] = __getattr__
    _pending[name] = (module, spec.loader)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


def _finish() -> None:
    """Run the skipped `__init__`s in the packages themselves, as a plain import would have."""
    with _lock:
        for name in _SKIPPED:
            if name in _pending:
                module, loader = _pending.pop(name)
                del module.__dict__["__getattr__"]
                loader.exec_module(module)
