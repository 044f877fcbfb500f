"""A language's catalog compiled for the page: the JSON that web/static/i18n.js reads.

{"lang", "dir", "messages": {key: text, or {CLDR category: text} for a plural}}, where a key
is the msgid, or the context, U+0004 and the msgid (gettext's own joining of the two). Every
message of the catalog goes: the page renders the engine's messages (scoring.words), the
definitions' words and its own; about 40 kB in a language, fetched once and cached.
"""

from __future__ import annotations

from functools import lru_cache

import orjson

from coach.i18n.catalogs import Key, messages
from coach.i18n.locales import ENGLISH, PSEUDO, language

CONTEXT_SEPARATOR = "\x04"


def _key(key: Key) -> str:
    context, msgid = key
    return f"{context}{CONTEXT_SEPARATOR}{msgid}" if context else msgid


@lru_cache(maxsize=16)
def page_catalog(code: str) -> bytes:
    """The JSON of `code`'s catalog (English: none needed, the ids are its words)."""
    lang = PSEUDO if code == PSEUDO.code else (language(code) or ENGLISH)
    found = messages(lang.code)
    if lang is ENGLISH:  # its words are the ids (web/static/i18n.js never asks)
        return orjson.dumps({"lang": lang.code, "dir": lang.dir, "messages": {}})
    out: dict[str, object] = {_key(k): v for k, v in found.singular.items() if v != k[1]}
    out |= {_key(k): v for k, v in found.plural.items()}
    return orjson.dumps({"lang": lang.code, "dir": lang.dir, "messages": out})
