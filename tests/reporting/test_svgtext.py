"""Chart labels in the PDF are laid out a string at a time, and land where WeasyPrint's own
letter-by-letter drawer put them."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from surveyapp.reporting import svgtext
from surveyapp.reporting.exports import report_pdf

LABELS = [
    ("start", "School (n=22883)", ""),
    ("end", "44%", ""),
    ("middle", "Communication between partners", ""),
    ("start", "Bold heading", ' font-weight="bold"'),
    ("end", "Adult mental health (n=3966)", ' style="font-size: 9px"'),
]


def _svg(spaced: bool = False) -> str:
    rows = "".join(
        f'<text x="200" y="{30 + 30 * k}" text-anchor="{anchor}" '
        f'font-family="\'DejaVu Sans\'" font-size="12"{extra}>{words}</text>'
        for k, (anchor, words, extra) in enumerate(LABELS)
    )
    if spaced:  # per-glyph positions: WeasyPrint's own drawer must take it
        rows += '<text x="20" y="190" dx="0 4 4 4" font-size="12">Gaps</text>'
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200">{rows}</svg>'


def _page(spaced: bool = False) -> str:
    data = base64.b64encode(_svg(spaced).encode()).decode()
    return (
        "<!doctype html><html lang=en><title>t</title><style>@page{size:120mm 70mm;margin:0}"
        f'</style><img src="data:image/svg+xml;base64,{data}" alt="" style="width:120mm"></html>'
    )


def _with_original_drawer(html: str) -> bytes:
    import weasyprint.svg as svg_module

    fast = svg_module.text
    tags = dict(svg_module.TAGS)
    try:
        svg_module.text = svgtext._original
        for tag, drawer in tags.items():
            if drawer is fast:
                svg_module.TAGS[tag] = svgtext._original
        from weasyprint import HTML

        return HTML(string=html).write_pdf()
    finally:
        svg_module.text = fast
        svg_module.TAGS.update(tags)


def _ink_rows(pdf: bytes, folder) -> list[tuple[int, int, int, int]]:  # noqa: ANN001
    """(top, bottom, left, right) of each band of dark pixels, page 1 at 150 dpi."""
    (folder / "page.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", "page.pdf", "page"],
        cwd=folder,
        check=True,
    )
    ink = np.asarray(Image.open(folder / "page.png").convert("L")) < 128
    rows = ink.any(axis=1)
    bands, start = [], None
    for y, dark in enumerate([*rows, False]):
        if dark and start is None:
            start = y
        elif not dark and start is not None:
            cols = np.flatnonzero(ink[start:y].any(axis=0))
            bands.append((start, y, int(cols[0]), int(cols[-1])))
            start = None
    return bands


def test_installed_in_weasyprints_place_for_the_pinned_version():
    import weasyprint.svg as svg_module

    assert svgtext.install()
    assert svg_module.text is svgtext.text
    assert {tag: svg_module.TAGS[tag] for tag in ("text", "tspan", "textPath")} == dict.fromkeys(
        ("text", "tspan", "textPath"), svgtext.text
    )


def test_another_weasyprint_is_left_alone(monkeypatch):
    import weasyprint

    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    assert not svgtext.install()


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs pdftoppm (poppler-utils)")
def test_labels_land_where_weasyprints_own_drawer_put_them(tmp_path):
    """Start, end and middle anchors, bold and a smaller size, and a text with per-glyph
    positions (handed to WeasyPrint's drawer): every label's ink within a pixel or two (at
    150 dpi) of where the letter-by-letter drawer put it; whole strings are shaped with
    kerning, so a label may end a pixel or two sooner."""
    html = _page(spaced=True)
    fast = report_pdf(html)
    assert svgtext.install()
    slow = _with_original_drawer(html)
    (tmp_path / "fast").mkdir()
    (tmp_path / "slow").mkdir()
    fast_rows, slow_rows = _ink_rows(fast, tmp_path / "fast"), _ink_rows(slow, tmp_path / "slow")
    assert len(fast_rows) == len(slow_rows) == len(LABELS) + 1
    for mine, theirs in zip(fast_rows, slow_rows, strict=True):
        assert all(abs(a - b) <= 3 for a, b in zip(mine, theirs, strict=True)), (mine, theirs)


def test_the_pdf_keeps_each_label_as_text():
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(report_pdf(_page()))).pages[0].extract_text()
    for _, words, _ in LABELS:
        assert words in text
