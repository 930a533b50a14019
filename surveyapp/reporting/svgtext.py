"""SVG text in a PDF laid out a string at a time, not a character at a time.

WeasyPrint draws an SVG ``<text>`` one code point at a time (each its own Pango layout and its
own text object), because SVG lets every glyph carry its own position. Our charts never do: each
label is one string at one point. At 100,000 responses the report's nine charts hold about
1,200 labels, and laying them out letter by letter took about 0.3 s of the full PDF's 3.2 s
(measured with the two drawers alternating in one process). Upstream knows
(Kozea/WeasyPrint#2249: "draw the whole text when there's no specified x, y, dx, dy or rotate
values for specific glyphs, the most common case by far"; drawing letter by letter also breaks
ligatures and combining characters), but WeasyPrint 70.0 still does it.

:func:`install` replaces WeasyPrint's SVG text drawer with one that takes that case, a text with
at most one x and one y, no dx, dy or rotate, no letter-spacing and no textLength, as one string
through WeasyPrint's own line layout and text drawing, and hands every other text to the
original. Only for the WeasyPrint version whose drawer this was written against (it reaches
into ``weasyprint.svg``); for any other it does nothing, and the test that checks it is in
place fails, so an upgrade is looked at rather than silently slower or wrong.
"""

from __future__ import annotations

from math import inf
from typing import Any

#: The WeasyPrint release whose ``weasyprint.svg.text.text`` this stands in for.
WEASYPRINT_VERSION = "70.0"
#: Attributes that position glyphs one by one: a text with any of them takes the original path.
PER_GLYPH = ("dx", "dy", "rotate", "letter-spacing", "textLength")

_original: Any = None


def _single(node: Any, name: str) -> bool:
    value = node.attrib.get(name)
    return value is None or len(str(value).replace(",", " ").split()) <= 1


def _simple(node: Any) -> bool:
    return (
        bool(node.text)
        and not any(name in node.attrib for name in PER_GLYPH)
        and _single(node, "x")
        and _single(node, "y")
    )


def text(svg: Any, node: Any, font_size: float) -> None:
    """Draw a text node: a simple one as one string, any other as WeasyPrint does."""
    if not _simple(node):
        _original(svg, node, font_size)
        return
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.text import TextBox
    from weasyprint.svg.utils import normalize, size
    from weasyprint.text.line_break import split_first_line

    style = _style(svg, node, font_size)
    layout, _, _, width, height, baseline = split_first_line(node.text, style, svg.context, inf, 0)
    x, y = svg.cursor_position
    # as WeasyPrint's drawer: a given position (other than 0) ends any relative shift
    if "x" in node.attrib:
        x = size(normalize(node.attrib["x"]).strip(), font_size, svg.inner_width)
        if x:
            svg.cursor_d_position[0] = 0
    if "y" in node.attrib:
        y = size(normalize(node.attrib["y"]).strip(), font_size, svg.inner_height)
        if y:
            svg.cursor_d_position[1] = 0
    y_align = _y_align(node, font_size, height)
    svg.cursor_position = x + width, y
    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1] + y_align
    node.text_bounding_box = extend_bounding_box(
        node.text_bounding_box,
        ((x_position, y_position - baseline), (x_position + width, y_position - baseline + height)),
    )

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    box = TextBox(layout, style)
    box.baseline = baseline
    emojis = draw_first_line(
        svg.stream, box, "none", "none", Matrix(a=1, d=-1, e=x_position, f=y_position)
    )
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)


def _style(svg: Any, node: Any, font_size: float) -> Any:
    """The text's style, built as WeasyPrint's own drawer builds it."""
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.svg.text import Style

    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [
        font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")
    ]
    style["font_style"] = node.get("font-style", "normal")
    weight = node.get("font-weight", 400)
    style["font_size"] = font_size
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")
    if weight == "normal":
        style["font_weight"] = 400
    elif weight == "bold":
        style["font_weight"] = 700
    else:
        try:
            style["font_weight"] = int(weight)
        except ValueError:
            style["font_weight"] = 400
    return style


def _y_align(node: Any, font_size: float, height: float) -> float:
    """Vertical alignment, as WeasyPrint's drawer works it out."""
    ascent, descent = font_size * 0.8, font_size * 0.2
    display_anchor = node.get("display-anchor")
    baseline = node.get("dominant-baseline", node.get("alignment-baseline"))
    if display_anchor == "middle":
        return -height / 2
    if display_anchor == "top":
        return 0.0
    if display_anchor == "bottom":
        return -height
    if baseline in ("central", "middle"):
        return (ascent + descent) / 2 - descent
    if baseline in ("text-before-edge", "before_edge", "top", "hanging", "text-top"):
        return ascent
    if baseline in ("text-after-edge", "after_edge", "bottom", "text-bottom"):
        return -descent
    return 0.0


def install() -> bool:
    """Put :func:`text` in WeasyPrint's place; True when it is in place (now or before)."""
    global _original
    import weasyprint
    import weasyprint.svg as svg_module

    if weasyprint.__version__ != WEASYPRINT_VERSION:
        return False
    if svg_module.text is text:
        return True
    _original = svg_module.text
    # weasyprint.svg compares TAGS entries with its own name ``text`` (text anchors): both change
    svg_module.text = text
    for tag, drawer in list(svg_module.TAGS.items()):
        if drawer is _original:
            svg_module.TAGS[tag] = text
    return True
