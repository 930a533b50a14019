"""QR codes for open links (segno): SVG for print and the poster, PNG for documents."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import segno


def _code(url: str) -> segno.QRCode:
    import segno  # here, not at the top: its writers take ~0.1 s that start-up need not pay

    # Medium error correction survives a crease or a smudge on a printed poster.
    return segno.make_qr(url, error="m")


def qr_svg(url: str, *, scale: int = 8, title: str | None = None) -> bytes:
    """A standalone SVG document of the link's QR code."""
    out = io.BytesIO()
    _code(url).save(
        out,
        kind="svg",
        scale=scale,
        border=4,
        title=title,
        xmldecl=True,
        svgns=True,
        dark="#000",
        light="#fff",
    )
    return out.getvalue()


def qr_svg_inline(url: str, *, label: str) -> str:
    """The QR code as an ``<svg>`` element to place in a page, sized by CSS."""
    out = io.BytesIO()
    _code(url).save(
        out,
        kind="svg",
        scale=1,
        border=4,
        xmldecl=False,
        svgns=True,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        title=label,
        dark="#000",
        light="#fff",
    )
    return out.getvalue().decode()


def qr_png(url: str, *, scale: int = 12) -> bytes:
    """A PNG of the link's QR code, large enough to print sharply at about 5 cm."""
    out = io.BytesIO()
    _code(url).save(out, kind="png", scale=scale, border=4, dark="#000", light="#fff")
    return out.getvalue()
