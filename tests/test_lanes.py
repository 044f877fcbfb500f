"""The lanes hold (tests/lanes.py): a test that starts something its markers do not declare
fails with LaneError; a fixture's declaration marks the tests that use it; `--lane fast`
leaves out what starts a server, a process, a browser or the model. Each case is a small
test file run by pytest itself (pytester), in this process."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _pytest import pytester as pytester_internals

PLUGINS = ("-p", "tests.lanes", "-p", "no:cacheprovider")


@pytest.fixture(autouse=True)
def _keep_the_products_modules(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """pytester puts sys.modules back after each inner run, so that its test files don't
    clash. A product module first imported by an inner run (create_app imports some lazily)
    would be dropped too while its package and the modules already loaded keep that copy,
    and the next import would make a second one: two copies of web.connections' classes,
    and every later server test's WebSocket upgrade failed. Only the inner runs' own files
    (under the run's temporary folder) are dropped."""
    temp = str(tmp_path_factory.getbasetemp())
    restore = pytester_internals.SysModulesSnapshot.restore

    def keep_products(snapshot: pytester_internals.SysModulesSnapshot) -> None:
        loaded = {
            name: module
            for name, module in sys.modules.items()
            if not str(getattr(module, "__file__", None) or "").startswith(temp)
        }
        restore(snapshot)
        for name, module in loaded.items():
            sys.modules.setdefault(name, module)

    monkeypatch.setattr(pytester_internals.SysModulesSnapshot, "restore", keep_products)
    yield


def test_an_undeclared_process_fails_loudly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import subprocess, sys

        def test_starts_python():
            subprocess.run([sys.executable, "-c", "pass"], check=True)
        """
    )
    result = pytester.runpytest(*PLUGINS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*LaneError*started a process*not marked `subprocess`*"])


def test_an_undeclared_server_fails_before_it_starts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from web.app import create_app
        from web.server import BackgroundServer

        def test_serves():
            with BackgroundServer(create_app()):
                pass
        """
    )
    result = pytester.runpytest(*PLUGINS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*LaneError*started a uvicorn server*not marked `server`*"])


def test_a_fixture_that_declares_a_server_marks_and_allows_its_tests(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        import uvicorn
        from tests.lanes import uses

        @pytest.fixture()
        @uses("server")
        def server():
            return uvicorn.Server(uvicorn.Config(None))  # made, never run

        def test_with_server(server):
            assert not server.started

        def test_pure():
            with pytest.raises(Exception, match="not marked `server`"):
                uvicorn.Server(uvicorn.Config(None))
        """
    )
    pytester.runpytest(*PLUGINS).assert_outcomes(passed=2)
    result = pytester.runpytest(*PLUGINS, "-m", "server")
    result.assert_outcomes(passed=1, deselected=1)


def test_the_fast_lane_leaves_out_every_expensive_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.model
        def test_model(): pass

        @pytest.mark.browser
        def test_browser(): pass

        @pytest.mark.postgres
        def test_postgres(): pass

        @pytest.mark.fuzz
        def test_fuzz_in_process(): pass

        def test_pure(): pass
        """
    )
    result = pytester.runpytest(*PLUGINS, "--lane", "fast")
    result.assert_outcomes(passed=2, deselected=3)


def test_the_costliest_files_run_first_and_each_file_stays_together(
    pytester: pytest.Pytester,
) -> None:
    """The whole suite runs a file to a worker: a long browser file started last would
    leave the other workers idle while it runs."""
    pytester.makepyfile(
        test_a_pure="def test_one(): pass\ndef test_two(): pass\n",
        test_b_browser="import pytest\n\n@pytest.mark.browser\ndef test_page(): pass\n"
        "def test_after(): pass\n",
        test_c_model="import pytest\n\n@pytest.mark.model\ndef test_pose(): pass\n",
    )
    result = pytester.runpytest(*PLUGINS, "--collect-only", "-q")
    collected = [line for line in result.outlines if "::" in line]
    assert collected == [
        "test_b_browser.py::test_page",
        "test_b_browser.py::test_after",
        "test_c_model.py::test_pose",
        "test_a_pure.py::test_one",
        "test_a_pure.py::test_two",
    ]


def test_a_whole_run_s_stored_durations_order_the_files(pytester: pytest.Pytester) -> None:
    """What a file took in the last whole run beats the guess from its markers, and
    `--store-durations` writes each file's seconds for the next run."""
    pytester.makepyfile(
        test_a_pure="import time\n\ndef test_slow(): time.sleep(0.3)\n",
        test_b_browser="import pytest\n\n@pytest.mark.browser\ndef test_page(): pass\n",
    )
    stored = pytester.path / "durations.json"
    result = pytester.runpytest(*PLUGINS, f"--durations-file={stored}", "--store-durations")
    result.assert_outcomes(passed=2)
    seconds = json.loads(stored.read_text())
    assert set(seconds) == {"test_a_pure.py", "test_b_browser.py"}
    assert seconds["test_a_pure.py"] >= 0.3 > seconds["test_b_browser.py"]
    stored.write_text(json.dumps({"test_a_pure.py": 100.0, "test_b_browser.py": 1.0}))
    result = pytester.runpytest(*PLUGINS, f"--durations-file={stored}", "--collect-only", "-q")
    assert [line for line in result.outlines if "::" in line] == [
        "test_a_pure.py::test_slow",
        "test_b_browser.py::test_page",
    ]


@pytest.mark.subprocess
def test_xdist_keeps_the_longest_files_first(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest-xdist's loadfile would start the files with the most tests first (its
    --loadscope-reorder, on by default): a one-test browser file then came last."""
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
    pytester.makepyfile(
        test_a_pure="".join(f"def test_{n}(): pass\n" for n in range(5)),
        test_b_browser="import pytest\n\n@pytest.mark.browser\ndef test_page(): pass\n",
    )
    result = pytester.runpytest_subprocess(*PLUGINS, "-n", "1", "--dist", "loadfile", "-v")
    result.assert_outcomes(passed=6)
    ran = [line.split()[-1] for line in result.outlines if " PASSED " in line]
    assert ran[0] == "test_b_browser.py::test_page", ran
