"""Extracting the message ids from the sources into the template (`messages.pot`), with Babel.

Where the words are, and how each is marked:
- Python (scoring, coach, web): `say`, `nsay`, `psay` (scoring.words: the engine's messages,
  and module-level words) and a `Reader`'s `gettext`, `ngettext`, `pgettext`, `npgettext`;
- the Jinja templates (web/templates): `_`, `ngettext`, `pgettext`, `_html` (a message with
  markup);
- the page's JavaScript (web/static): `t`, `tn`, `tp` (web/static/i18n.js);
- the definition files (exercises/library, exercises/norms): their words, by key
  (`DEFINITION_KEYS`: an exercise's name, instructions, each fault's message and cue; a
  test's name and unit; each tag, in the context "tag"; a test's stages' names), and each
  demonstration's caption
  (exercises/demos). They are message ids as they are: a therapist's own definition, in no
  catalog, is shown and said in its own words (docs/I18N.md).

`python -m coach.i18n extract` writes the template; `tests/coach/test_i18n.py` checks the
committed one is current.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import write_po

REPO = Path(__file__).resolve().parents[2]
COMMENT_TAGS = ("i18n:",)
PYTHON_KEYWORDS: dict[str, Any] = {
    "say": None,
    "nsay": (1, 2),
    "psay": ((1, "c"), 2),
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
JINJA_KEYWORDS: dict[str, Any] = {
    "_": None,
    "_html": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}
JS_KEYWORDS: dict[str, Any] = {"t": None, "tn": (1, 2), "tp": ((1, "c"), 2)}
FILE_KEYWORDS: dict[str, Any] = {"gettext": None, "pgettext": ((1, "c"), 2)}
# (folder, file pattern, Babel's method, keywords)
SOURCES: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("scoring", "**/*.py", "python", PYTHON_KEYWORDS),
    ("coach", "**/*.py", "python", PYTHON_KEYWORDS),
    ("web", "**/*.py", "python", PYTHON_KEYWORDS),
    ("web/templates", "**/*.html", "jinja2", JINJA_KEYWORDS),
    ("web/static", "*.js", "javascript", JS_KEYWORDS),
    ("exercises/library", "*.toml", "coach.i18n.extract:extract_definition", FILE_KEYWORDS),
    ("exercises/norms", "*.toml", "coach.i18n.extract:extract_definition", FILE_KEYWORDS),
    ("exercises/demos", "*.json", "coach.i18n.extract:extract_demo", FILE_KEYWORDS),
)
# A definition file's words: top-level keys, and the keys of its [[faults]].
DEFINITION_KEYS = ("name", "instructions", "unit")
FAULT_KEYS = ("message", "cue")


def extract_definition(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor for a definition file (TOML): (line, funcname, msgid, comments)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    text = fileobj.read().decode("utf-8")
    data = tomllib.loads(text)
    lines = text.splitlines()

    def line_of(key: str, value: str, after: int = 0) -> int:
        for i in range(after, len(lines)):
            if lines[i].lstrip().startswith(f"{key} ") or lines[i].lstrip().startswith(f"{key}="):
                return i + 1
        return 1

    ident = str(data.get("id") or data.get("protocol") or "")
    for key in DEFINITION_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            yield line_of(key, value), "gettext", value, [f"{key} of {ident}"]
    for tag in data.get("tags") or []:
        if isinstance(tag, str) and tag.strip():
            yield line_of("tags", tag), "pgettext", ("tag", tag), [f"a tag of {ident}"]  # type: ignore[misc]
    for stage in data.get("stages") or []:  # a test's stages (the four-stage balance)
        value = stage.get("name") if isinstance(stage, dict) else None
        if isinstance(value, str) and value.strip():
            yield line_of("name", value), "gettext", value, [f"a stage of {ident}"]
    after = 0
    for fault in data.get("faults") or []:
        for key in FAULT_KEYS:
            value = fault.get(key)
            if isinstance(value, str) and value.strip():
                after = line_of(key, value, after)
                yield after, "gettext", value, [f"fault {fault.get('id', '')} of {ident}: {key}"]


def extract_demo(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor for a demonstration (JSON): its caption, the canvas's text."""
    data = json.loads(fileobj.read().decode("utf-8"))
    caption = data.get("caption")
    if isinstance(caption, str) and caption.strip():
        yield 1, "gettext", caption, [f"the demonstration of {data.get('id', '')}"]


def template(root: Path = REPO) -> Catalog:
    """Every message id of the sources, with where it is and any `i18n:` comment."""
    catalog = Catalog(
        project="Coach",
        version="",
        copyright_holder="Coach contributors",
        msgid_bugs_address="",
        fuzzy=False,
    )
    for folder, pattern, method, keywords in SOURCES:
        base = root / folder
        for path in sorted(base.glob(pattern)):
            if "__pycache__" in path.parts:
                continue
            rel = path.relative_to(root).as_posix()
            with path.open("rb") as f:
                found = extract(
                    method,
                    f,
                    keywords=keywords,
                    comment_tags=COMMENT_TAGS,
                    options={"parse_template_string": "true"} if method == "javascript" else {},
                    strip_comment_tags=True,
                )
                for lineno, message, comments, context in found:
                    catalog.add(
                        message, None, [(rel, lineno)], auto_comments=comments, context=context
                    )
    return catalog


def template_text(catalog: Catalog) -> bytes:
    """The template as written to disk: no dates (a rerun without changes changes nothing),
    locations without line numbers (a moved line is not a change)."""
    out = io.BytesIO()
    write_po(out, catalog, include_lineno=False, sort_output=True, width=100, omit_header=False)
    dated = (b'"POT-Creation-Date:', b'"PO-Revision-Date:')
    return b"\n".join(line for line in out.getvalue().split(b"\n") if not line.startswith(dated))
