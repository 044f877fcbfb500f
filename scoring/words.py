"""What to say to a person, as a message id and its parameters (issue 23).

The engine chooses *what* to say; each reader renders it in their own language from the
message catalogs (coach/i18n: the pages, the reports, the terminal). A message id is the
sentence in the catalogs' source language, English, with `{name}` placeholders: gettext's
msgid, extracted by Babel wherever `say(...)` is written (coach/i18n/extract.py). A parameter
is a number (formatted by the reader's locale), a text taken as it is (a name, an id), another
`Say` (a word that is itself translated, such as a body part) or a tuple of them (a list,
joined by the reader's locale).

A `Say` is also a `str`: its source text, the id with the parameters filled in. That is the
catalogs' source language (the identity translation, not a sentence built here), for the
readers that read no catalog: the stored record, the `coach analyze --json` contract, and
any code that still treats an event's message as text. Readers that render go by `id` and
`params`; `scoring.events.to_json` carries both beside the text (`say`).
"""

from __future__ import annotations

import re
from typing import Any, Union, cast

Param = Union[str, int, float, "Say", tuple["Say", ...]]
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Say(str):
    """A message: `id` (the msgid), its `plural` msgid when it counts something (the count is
    the parameter `n`), its `context` (gettext's msgctxt, for the same words meaning two
    things) and its parameters as (name, value) pairs. Its text is `source_text`."""

    id: str
    params: tuple[tuple[str, Param], ...]
    plural: str
    context: str

    def __new__(
        cls,
        id: str,  # noqa: A002 (gettext's name for it)
        params: tuple[tuple[str, Param], ...] = (),
        plural: str = "",
        context: str = "",
    ) -> Say:
        values = dict(params)
        text = plural if plural and values.get("n") != 1 else id
        obj = super().__new__(cls, fill(text, {k: _source_param(v) for k, v in params}))
        obj.id, obj.params, obj.plural, obj.context = id, params, plural, context
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Say, (self.id, self.params, self.plural, self.context))

    def __repr__(self) -> str:
        return f"say({self.id!r}, {dict(self.params)!r})" if self.params else f"say({self.id!r})"

    def param(self, name: str) -> Param | None:
        return dict(self.params).get(name)

    def to_json(self) -> dict[str, Any]:
        """{"id", "params"?, "plural"?, "context"?}: what a page renders with its catalog."""
        out: dict[str, Any] = {"id": self.id}
        if self.params:
            out["params"] = {k: _param_json(v) for k, v in self.params}
        if self.plural:
            out["plural"] = self.plural
        if self.context:
            out["context"] = self.context
        return out

    @classmethod
    def from_json(cls, data: Any) -> Say:
        """The `Say` of `to_json`; a plain string is a message without parameters."""
        if isinstance(data, str):
            return data if isinstance(data, Say) else cls(data)
        params = tuple((k, _param_from_json(v)) for k, v in (data.get("params") or {}).items())
        return cls(
            str(data["id"]), params, str(data.get("plural") or ""), str(data.get("context") or "")
        )


def say(msgid: str, **params: Param) -> Say:
    """A message to render later: `say("Step back: I can't see your {parts}.", parts=...)`.
    `say`, `nsay` and `psay` are extraction keywords: their literal arguments are msgids."""
    return Say(msgid, tuple(params.items()))


def nsay(singular: str, plural: str, n: int, **params: Param) -> Say:
    """A message that counts: `nsay("{n} rep", "{n} reps", n)` (the count is `{n}`)."""
    return Say(singular, (("n", n), *params.items()), plural)


def psay(context: str, msgid: str, **params: Param) -> Say:
    """A message in a context (gettext's msgctxt), for words that mean two things: a body
    part's "feet" and a group of checks' "feet" may be translated apart."""
    return Say(msgid, tuple(params.items()), context=context)


def said(**fields: str) -> dict[str, Any]:
    """{"say": {field: message JSON}} for the fields that are messages (`Say`), to add to a
    JSON message beside their text; {} when none is."""
    found = {k: v.to_json() for k, v in fields.items() if isinstance(v, Say)}
    return {"say": found} if found else {}


def _param_json(value: Param) -> Any:
    if isinstance(value, Say):
        return value.to_json()
    if isinstance(value, tuple):
        return [_param_json(v) for v in value]
    return value


def _param_from_json(value: Any) -> Param:
    if isinstance(value, dict):
        return Say.from_json(value)
    if isinstance(value, list):
        return tuple(Say.from_json(v) for v in value)
    return cast(Param, value)


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders of a msgid or a translation."""
    return set(_PLACEHOLDER.findall(text))


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with each `{name}` replaced by its value; an unknown name is left as it is
    (a translation is never trusted to format: no attribute access, no format specs)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def source_text(message: str) -> str:
    """The message in the catalogs' source language, as a plain `str`."""
    return str.__str__(message)


def _source_param(value: Param) -> str:
    if isinstance(value, tuple):
        return _english_list([source_text(v) for v in value])
    if isinstance(value, float):
        return f"{value:g}"
    return source_text(value) if isinstance(value, str) else str(value)


def _english_list(items: list[str]) -> str:
    """CLDR's English list ("a", "a and b", "a, b, and c"): what Babel's `format_list` says
    for "en", so the source text equals the English catalog's rendering."""
    if len(items) <= 2:
        return " and ".join(items)
    return f"{', '.join(items[:-1])}, and {items[-1]}"
