"""The pseudo-locale: English made unmistakable, for finding what is not translated and what
does not fit. Each letter accented, the text 40% longer (German and French run 30-40% longer
than English) and bracketed, so a string that escaped the catalogs reads plain, and one that
is cut off loses its closing bracket. Placeholders, markup and entities are kept as they are.
"""

from __future__ import annotations

import math
import re

_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCENTED = "åƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"
_ACCENTS = str.maketrans(_PLAIN, _ACCENTED)
_KEEP = re.compile(r"(\{\w+\}|<[^>]*>|&#?\w+;)")
# Words that lengthen a message as a translation would: they wrap like words.
_PADDING = "ļöŕéɱ îþšûɱ đöļöŕ šîţ åɱéţ çöñšéçţéţûŕ åđîþîšçîñĝ éļîţ šéđ đö éîûšɱöđ ţéɱþöŕ"
OPEN, CLOSE = "[", "]"


def pseudo(text: str) -> str:
    """ "Start now" -> "[Šţåŕţ ñöŵ ļöŕé]"."""
    parts = _KEEP.split(text)
    shown = 0
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # a placeholder, a tag or an entity
            out.append(part)
        else:
            out.append(part.translate(_ACCENTS))
            shown += len(part)
    extra = math.ceil(0.4 * shown)
    pad = (_PADDING * (1 + extra // len(_PADDING)))[:extra].rstrip() if extra else ""
    return f"{OPEN}{''.join(out)}{' ' + pad if pad else ''}{CLOSE}"
