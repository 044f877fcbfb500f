"""QR codes of personal links, as inline SVG made on the server by `segno` (a maintained QR
library): no image files, no JavaScript, prints sharply on the handout."""

from __future__ import annotations

from html import escape

import segno


def qr_svg(text: str, label: str, scale: int = 6) -> str:
    """`text` as an SVG QR code (error correction M, quiet zone kept), named `label` for screen
    readers."""
    qr = segno.make(text, error="m", micro=False)
    svg = qr.svg_inline(scale=scale, dark="#000", light="#fff", svgclass="qr", title=label)
    w, h = qr.symbol_size(scale=scale)
    # A viewBox, so that CSS may size the code without cropping it.
    attrs = f'role="img" aria-label="{escape(label)}" viewBox="0 0 {w} {h}" '
    return svg.replace("<svg ", f"<svg {attrs}", 1)
