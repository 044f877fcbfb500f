"""Lanes by cost: which tests start a server, a process, a browser or the model, marked
automatically and enforced (loaded as a plugin by tests/conftest.py).

A test's markers come from the fixtures it uses (a fixture declares what it starts with
`@uses("server", ...)` under `@pytest.fixture`), from its folder (tests/cluster), from
Hypothesis (`@given` tests are `fuzz`) and from explicit `pytest.mark.*`. The expensive
markers are:

    server      a real uvicorn server (BackgroundServer, web.server.serve)
    subprocess  a child process: the coach CLI, `coach serve`, a model worker process
    browser     real headless Chromium through Playwright (a process too)
    model       the real MediaPipe model, in this process or in a worker process
    postgres    the private PostgreSQL (and Redis) servers of tests/servers.py
    cluster     tests/cluster: `coach serve` and `coach worker` processes on both
    fuzz        Hypothesis property tests (many examples each)

While a test sets up and runs, whatever its markers do not allow raises `LaneError`: a test
that starts a server, a process, the model or a browser without saying so fails loudly in
every run, so `./run test fast` (which deselects them) can trust the markers.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing.util
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

MARKERS = {
    "server": "starts a real uvicorn server",
    "subprocess": "starts a child process (the coach CLI, coach serve, a model worker)",
    "browser": "drives real headless Chromium (Playwright)",
    "model": "runs the real MediaPipe model (in this process or a worker process)",
    "postgres": "uses the private PostgreSQL/Redis servers (tests/servers.py)",
    "cluster": "a cluster of coach serve and coach worker processes (tests/cluster)",
    "fuzz": "Hypothesis property-based fuzzing",
}
# What each marker allows a test to start (a browser and a database server are processes).
ALLOWS = {
    "server": {"server"},
    "subprocess": {"subprocess"},
    "browser": {"browser", "subprocess"},
    "model": {"model"},
    "postgres": {"postgres", "subprocess"},
    "cluster": {"cluster", "server", "subprocess", "postgres"},
    "fuzz": set(),
}
# Programs libraries run to probe the system (ctypes.util.find_library): not a test's process.
PROBES = {"ldconfig", "gcc", "cc", "ld", "objdump", "uname", "lscpu"}
# `./run test fast`: every test that needs none of these.
FAST = "not (server or subprocess or browser or model or postgres or cluster)"
FOLDERS = {"cluster": "cluster"}  # tests/<folder>/... -> marker

TESTS = Path(__file__).resolve().parent
F = TypeVar("F", bound=Callable[..., Any])


class LaneError(RuntimeError):
    """A test started something expensive that its markers do not declare."""


def uses(*markers: str) -> Callable[[F], F]:
    """Declare what a fixture starts; every test using it gets these markers. Put it under
    `@pytest.fixture` (it marks the function the fixture wraps)."""
    unknown = set(markers) - set(MARKERS)
    if unknown:
        raise ValueError(f"unknown lane markers {sorted(unknown)}; known: {sorted(MARKERS)}")

    def mark(fn: F) -> F:
        fn.lane_markers = frozenset(markers)  # type: ignore[attr-defined]
        return fn

    return mark


# ---- marking -----------------------------------------------------------------------------
def _fixture_markers(item: pytest.Item) -> set[str]:
    info = getattr(item, "_fixtureinfo", None)
    found: set[str] = set()
    if info is None:
        return found
    for name in item.fixturenames:  # type: ignore[attr-defined]
        for fixturedef in info.name2fixturedefs.get(name, ()):
            found |= getattr(fixturedef.func, "lane_markers", frozenset())
    return found


def _folder_markers(item: pytest.Item) -> set[str]:
    try:
        parts = Path(str(item.path)).resolve().relative_to(TESTS).parts
    except ValueError:
        return set()
    return {marker for folder, marker in FOLDERS.items() if parts[:1] == (folder,)}


def _is_hypothesis(item: pytest.Item) -> bool:
    return bool(getattr(getattr(item, "obj", None), "is_hypothesis_test", False))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--lane",
        choices=["fast"],
        help=f"fast: only the tests that start nothing expensive ({FAST}); with -m, both apply",
    )
    parser.addoption(
        "--durations-file",
        type=Path,
        default=DURATIONS,
        help="each test file's seconds in a whole run, read to start the longest files first",
    )
    parser.addoption(
        "--store-durations",
        action="store_true",
        help="store this run's seconds per file in --durations-file (after a whole run)",
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    if config.getoption("lane") == "fast":
        given = config.option.markexpr
        config.option.markexpr = f"({FAST}) and ({given})" if given else FAST
    # xdist would start the files with the most tests first; keep the order set below.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False
    if config.getoption("store_durations"):
        recorder = DurationRecorder(config.getoption("durations_file"))
        config.pluginmanager.register(recorder, "lane-durations")
    _install_guards()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add the markers a test's fixtures, folder and Hypothesis imply, before `-m` selects,
    and start the costliest files first."""
    for item in items:
        own = {m.name for m in item.iter_markers()}
        implied = _fixture_markers(item) | _folder_markers(item)
        if _is_hypothesis(item):
            implied.add("fuzz")
        for name in sorted(implied - own):
            item.add_marker(name)
    costliest_files_first(items, _stored_durations(config.getoption("durations_file")))


# Which file starts first. The whole suite runs on several workers (`./run test`: pytest-xdist,
# a file to a worker), and a long browser file started last leaves the other workers idle
# while it runs: so the longest files start first. A file's length is what the last whole run
# took (tests/durations.json, written by `./run test --store-durations`); a file not in it is
# guessed from its markers (rough seconds a test).
DURATIONS = TESTS / "durations.json"
GUESS_S = {"browser": 20.0, "cluster": 10.0, "model": 5.0, "subprocess": 3.0, "postgres": 1.0}
GUESS_OTHER_S = 0.05


def _stored_durations(path: Path) -> dict[str, float]:
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict):
        return {}
    return {str(k): float(v) for k, v in stored.items() if isinstance(v, (int, float))}


def _guess_s(item: pytest.Item) -> float:
    names = {m.name for m in item.iter_markers()}
    return max([GUESS_S[n] for n in names if n in GUESS_S], default=GUESS_OTHER_S)


def costliest_files_first(items: list[pytest.Item], stored: dict[str, float]) -> None:
    """Order the files by how long they take, the longest first; stable, so a file's tests
    keep their order and stay together."""
    guessed: dict[str, float] = {}
    for item in items:
        name = _file_of(item)
        guessed[name] = guessed.get(name, 0.0) + _guess_s(item)
    length = {name: stored.get(name, guess) for name, guess in guessed.items()}
    items.sort(key=lambda item: -length[_file_of(item)])


def _file_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


class DurationRecorder:
    """Adds up each file's setup, call and teardown times over a run (on the xdist controller
    too, which sees every worker's reports) and stores them, merged into what was stored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = report.nodeid.split("::", 1)[0]
        self.seconds[name] = self.seconds.get(name, 0.0) + report.duration

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.seconds or hasattr(session.config, "workerinput"):
            return  # an xdist worker: the controller stores the whole run's
        merged = _stored_durations(self.path) | {k: round(v, 1) for k, v in self.seconds.items()}
        self.path.write_text(json.dumps(dict(sorted(merged.items())), indent=0) + "\n")


# ---- enforcing ---------------------------------------------------------------------------
class _Running:
    """The test now setting up or running, and what it may start."""

    nodeid: str | None = None
    allowed: set[str] = set()


def allowed_for(item: pytest.Item) -> set[str]:
    allowed: set[str] = set()
    for marker in item.iter_markers():
        allowed |= ALLOWS.get(marker.name, set())
    return allowed


def check(kind: str, what: str) -> None:
    """Raise LaneError if the running test may not start `kind` (e.g. "server")."""
    if _Running.nodeid is None or kind in _Running.allowed:
        return
    raise LaneError(
        f"{_Running.nodeid} {what}, but it is not marked `{kind}`. Mark it "
        f"(@pytest.mark.{kind}), use a fixture declared with tests.lanes.uses({kind!r}), or do "
        "the work in-process (see tests/lanes.py and the README's lanes)."
    )


@contextlib.contextmanager
def _running(item: pytest.Item) -> Iterator[None]:
    _Running.nodeid, _Running.allowed = item.nodeid, allowed_for(item)
    try:
        yield
    finally:
        _Running.nodeid, _Running.allowed = None, set()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    with _running(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    with _running(item):
        return (yield)


def _describe(argv: Any) -> str:
    if isinstance(argv, (str, bytes, os.PathLike)):
        return str(argv)
    return " ".join(str(a) for a in argv)[:200]


def _install_guards() -> None:
    """Wrap what starts a process, a server or the model with `check` (once per run)."""
    if getattr(subprocess.Popen, "_lane_guarded", False):
        return
    execute_child = subprocess.Popen._execute_child  # type: ignore[attr-defined]

    def guarded_execute_child(self: Any, args: Any, *rest: Any, **kw: Any) -> Any:
        text = _describe(args)
        if Path(text.split()[0] if text.split() else "").name in PROBES:
            return execute_child(self, args, *rest, **kw)
        kind = "browser" if "playwright" in text or "chrom" in text else "subprocess"
        check(kind, f"started a process ({text})")
        return execute_child(self, args, *rest, **kw)

    subprocess.Popen._execute_child = guarded_execute_child  # type: ignore[attr-defined]
    subprocess.Popen._lane_guarded = True  # type: ignore[attr-defined]

    spawnv_passfds = multiprocessing.util.spawnv_passfds

    def guarded_spawn(path: Any, args: Any, passfds: Any) -> Any:
        check("subprocess", f"started a process ({_describe(args)})")
        return spawnv_passfds(path, args, passfds)

    multiprocessing.util.spawnv_passfds = guarded_spawn
    for name in ("fork", "system", "posix_spawn", "posix_spawnp"):
        real = getattr(os, name, None)
        if real is not None:
            setattr(os, name, _guarded_os(real, name))

    import uvicorn

    server_init = uvicorn.Server.__init__

    def guarded_server(self: Any, *args: Any, **kw: Any) -> None:
        check("server", "started a uvicorn server")
        server_init(self, *args, **kw)

    uvicorn.Server.__init__ = guarded_server  # type: ignore[method-assign]

    # The model's graphs start inside this context (after the estimator's argument checks),
    # in the pose backend and in the guard's person detector.
    from pose import mediapipe_backend, mediapipe_detector

    for module in (mediapipe_backend, mediapipe_detector):
        starting = module.native_stderr_silenced

        def guarded_model(starting: Callable[[], Any] = starting) -> Any:
            check("model", "loaded the MediaPipe model")
            return starting()

        module.native_stderr_silenced = guarded_model  # type: ignore[assignment]


def _guarded_os(real: Callable[..., Any], name: str) -> Callable[..., Any]:
    def guarded(*args: Any, **kw: Any) -> Any:
        check("subprocess", f"called os.{name}")
        return real(*args, **kw)

    return guarded
