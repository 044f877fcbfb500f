"""Property-based fuzzing of the definition loader (issue 14): exercise files are data a
therapist or a pip user may write by hand, so any text, any broken line and any value in any
field must end in a loaded definition or a DefinitionError naming the file, never another
exception (a traceback, a hang, a definition that breaks the engine later)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exercises.loader import LIBRARY_DIR, DefinitionError, load_definition

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SOURCES = sorted(LIBRARY_DIR.glob("*.toml"))
VALUE_LINE = re.compile(r"^(\s*[A-Za-z0-9_\-]+\s*=\s*)(.+)$")
# TOML values that type-check but mean nonsense, or barely parse.
ODD_VALUES = st.sampled_from(
    [
        "nan", "inf", "-inf", "1e999", "-1", "0", "1e308", "-0.0", '""', '"\\u0000"', "[]",
        "{}", "[1, \"a\"]", "true", '"' + "x" * 5000 + '"', "2026-12-01", "{ a = 1 }",
        "[[]]", "'''\n'''", '"../../etc/passwd"', "999999999999999999999",
    ]
)  # fmt: skip


def _check(path: Path) -> None:
    try:
        definition = load_definition(path)
    except DefinitionError as exc:
        assert path.name in str(exc)
        return
    assert definition.id and definition.name  # loaded: then it is a whole definition
    bad = [v for v in _numbers(definition.model_dump()) if not math.isfinite(v)]
    assert not bad, f"{path.name} loaded with non-finite numbers {bad}"


def _numbers(value: object) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list | tuple):
        return [n for v in value for n in _numbers(v)]
    return []


@FUZZ
@given(text=st.text(max_size=400))
def test_any_text_is_loaded_or_refused_with_its_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _check(path)


@FUZZ
@given(
    source=st.sampled_from(SOURCES),
    line=st.integers(min_value=0, max_value=200),
    value=st.one_of(ODD_VALUES, st.text(max_size=40)),
)
def test_any_value_in_any_field_is_loaded_or_refused(
    tmp_path: Path, source: Path, line: int, value: str
) -> None:
    lines = source.read_text(encoding="utf-8").splitlines()
    fields = [i for i, text in enumerate(lines) if VALUE_LINE.match(text)]
    if not fields:
        pytest.skip(f"{source.name} has no key = value line")
    i = fields[line % len(fields)]
    lines[i] = VALUE_LINE.sub(lambda m: m.group(1) + value, lines[i])
    path = tmp_path / source.name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    _check(path)


@FUZZ
@given(source=st.sampled_from(SOURCES), line=st.integers(0, 200), junk=st.text(max_size=60))
def test_any_broken_line_is_refused_with_its_file(
    tmp_path: Path, source: Path, line: int, junk: str
) -> None:
    lines = source.read_text(encoding="utf-8").splitlines()
    lines[line % len(lines)] = junk
    path = tmp_path / source.name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    _check(path)
