"""Where a rendered chart's words sit: the box of every text mark of an SVG (from its position,
font size, anchor, rotation and an approximate glyph width), and the pairs that overlap.

Boxes are rectangles turned with their text; two boxes overlap when no axis separates them
(separating axis theorem), so diagonal axis labels side by side do not count as colliding.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from xml.etree import ElementTree

SVG = "{http://www.w3.org/2000/svg}"
#: Approximate advance widths in em of the charts' font (DejaVu Sans, :data:`FONT`).
NARROW = set("il.,:;'|!()[]jf ·\u00a0\u202f")
WIDE = set("mwMW—%@")
ASCENT, DESCENT = 0.76, 0.24
#: Boxes closer than this (pixels) are not a collision: rounding of positions.
TOLERANCE = 0.75

Matrix = tuple[float, float, float, float, float, float]  # a b c d e f (SVG order)
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class TextBox:
    """A text mark: its words and the four corners of its box (pixels, the page's axes)."""

    text: str
    corners: tuple[tuple[float, float], ...]

    def overlaps(self, other: TextBox, tolerance: float = TOLERANCE) -> bool:
        for polygon in (self.corners, other.corners):
            for k in range(len(polygon)):
                (x1, y1), (x2, y2) = polygon[k], polygon[(k + 1) % len(polygon)]
                axis = (y1 - y2, x2 - x1)
                norm = math.hypot(*axis) or 1.0
                a = [(x * axis[0] + y * axis[1]) / norm for x, y in self.corners]
                b = [(x * axis[0] + y * axis[1]) / norm for x, y in other.corners]
                if min(a) >= max(b) - tolerance or min(b) >= max(a) - tolerance:
                    return False
        return True


def glyph_width(ch: str) -> float:
    """Advance width of one character in em (an approximation of DejaVu Sans)."""
    if ch in NARROW:
        return 0.30
    if ch in WIDE:
        return 0.95
    if ch.isdigit():
        return 0.64
    if ch.isupper():
        return 0.72
    return 0.60


def text_width(text: str, size: float, bold: bool = False) -> float:
    return sum(glyph_width(ch) for ch in text) * size * (1.08 if bold else 1.0)


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + c * b2,
        b * a2 + d * b2,
        a * c2 + c * d2,
        b * c2 + d * d2,
        a * e2 + c * f2 + e,
        b * e2 + d * f2 + f,
    )


_TRANSFORM = re.compile(r"(translate|rotate|scale|matrix)\(([^)]*)\)")


def parse_transform(text: str | None) -> Matrix:
    """An SVG ``transform`` attribute (translate, rotate, scale, matrix) as one matrix."""
    m = IDENTITY
    for kind, raw in _TRANSFORM.findall(text or ""):
        v = [float(x) for x in re.split(r"[\s,]+", raw.strip()) if x]
        if kind == "translate":
            step: Matrix = (1, 0, 0, 1, v[0], v[1] if len(v) > 1 else 0.0)
        elif kind == "scale":
            step = (v[0], 0, 0, v[1] if len(v) > 1 else v[0], 0, 0)
        elif kind == "matrix":
            step = (v[0], v[1], v[2], v[3], v[4], v[5])
        else:
            t = math.radians(v[0])
            cx, cy = (v[1], v[2]) if len(v) == 3 else (0.0, 0.0)
            step = _multiply(
                (1, 0, 0, 1, cx, cy),
                _multiply(
                    (math.cos(t), math.sin(t), -math.sin(t), math.cos(t), 0, 0),
                    (1, 0, 0, 1, -cx, -cy),
                ),
            )
        m = _multiply(m, step)
    return m


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return (a * x + c * y + e, b * x + d * y + f)


def _size(element: ElementTree.Element, inherited: float) -> float:
    raw = element.get("font-size")
    if raw is None:
        return inherited
    return float(raw.rstrip("px"))


def text_boxes(svg: str | bytes) -> list[TextBox]:
    """Every non-empty text mark (each line of a multi-line one) of an SVG, with its box."""
    root = ElementTree.fromstring(svg)
    boxes: list[TextBox] = []

    def visit(element: ElementTree.Element, m: Matrix, size: float) -> None:
        m = _multiply(m, parse_transform(element.get("transform")))
        size = _size(element, size)
        if element.tag == f"{SVG}text":
            boxes.extend(_text(element, m, size))
            return
        for child in element:
            visit(child, m, size)

    visit(root, IDENTITY, 11.0)
    return boxes


def _text(element: ElementTree.Element, m: Matrix, size: float) -> list[TextBox]:
    anchor = element.get("text-anchor", "start")
    bold = element.get("font-weight") in ("bold", "700", "800", "900")
    x0 = float(element.get("x", 0.0))
    y0 = float(element.get("y", 0.0))
    spans = element.findall(f"{SVG}tspan")
    lines: list[tuple[str, float, float]] = []
    if spans:
        y = y0
        for span in spans:
            y += float(span.get("dy", "0").rstrip("em") or 0) * (
                size if span.get("dy", "").endswith("em") else 1.0
            )
            x = float(span.get("x", x0))
            lines.append((span.text or "", x, y))
    else:
        lines.append((element.text or "", x0, y0))
    out = []
    for words, x, y in lines:
        if not words.strip():
            continue
        width = text_width(words, size, bold)
        left = x - {"start": 0.0, "middle": width / 2, "end": width}.get(anchor, 0.0)
        top, bottom = y - ASCENT * size, y + DESCENT * size
        corners = tuple(
            _apply(m, px, py)
            for px, py in ((left, top), (left + width, top), (left + width, bottom), (left, bottom))
        )
        out.append(TextBox(words, corners))
    return out


def collisions(svg: str | bytes) -> list[tuple[str, str]]:
    """The pairs of text marks whose boxes overlap (empty for a chart whose words all show)."""
    boxes = text_boxes(svg)
    return [
        (first.text, second.text)
        for k, first in enumerate(boxes)
        for second in boxes[k + 1 :]
        if first.overlaps(second)
    ]


# -- placing labels ---------------------------------------------------------------------------

#: Where a label may go around its point, in order of preference: (dx, dy, anchor) with dy the
#: baseline's offset in font sizes and anchor the side of the text the point is on.
CANDIDATES = (
    (8.0, 0.3, "start"),  # right of the point
    (4.0, -0.8, "start"),  # above right
    (4.0, 1.3, "start"),  # below right
    (-8.0, 0.3, "end"),  # left
    (0.0, -0.9, "middle"),  # above
    (0.0, 1.5, "middle"),  # below
)


def rectangle(left: float, baseline: float, width: float, size: float) -> TextBox:
    top, bottom = baseline - ASCENT * size, baseline + DESCENT * size
    corners = ((left, top), (left + width, top), (left + width, bottom), (left, bottom))
    return TextBox("", corners)


def place_labels(
    points: list[tuple[float, float, str]],
    size: float,
    *,
    obstacles: list[TextBox] | None = None,
    left_edge: float = 0.0,
    top_edge: float = 0.0,
    step: float = 13.0,
) -> list[tuple[float, float]]:
    """For each (x, y, text) in pixels, the (left, baseline) of its label: the first place
    around the point (:data:`CANDIDATES`) whose box meets no label placed before it, no
    obstacle (the points themselves) and stays right of ``left_edge`` and below ``top_edge``;
    failing that, the nearest free line below the point. Labels are placed in the order given
    (put the important ones first)."""
    placed: list[TextBox] = list(obstacles or [])
    out = []
    for x, y, text in points:
        width = text_width(text, size)
        choice = None
        for dx, dy, anchor in CANDIDATES:
            left = x + dx - {"start": 0.0, "middle": width / 2, "end": width}[anchor]
            box = rectangle(left, y + dy * size, width, size)
            if (
                left >= left_edge
                and y + dy * size - ASCENT * size >= top_edge
                and not any(box.overlaps(other, -1.0) for other in placed)
            ):
                choice = (left, y + dy * size, box)
                break
        k = 0
        while choice is None:
            # the nearest free line above or below, right then left of the point
            k += 1
            for shift in (k * step, -k * step):
                for left in (x + 8.0, x - 8.0 - width):
                    baseline = y + 0.3 * size + shift
                    box = rectangle(left, baseline, width, size)
                    top = baseline - ASCENT * size
                    if (
                        left >= left_edge
                        and top >= top_edge
                        and not any(box.overlaps(other, -1.0) for other in placed)
                    ):
                        choice = (left, baseline, box)
                        break
                if choice is not None:
                    break
        placed.append(choice[2])
        out.append((choice[0], choice[1]))
    return out


def point_box(x: float, y: float, radius: float = 5.0) -> TextBox:
    """A point mark as an obstacle for labels."""
    corners = ((x - radius, y - radius), (x + radius, y - radius), (x + radius, y + radius))
    return TextBox("", (*corners, (x - radius, y + radius)))


def rectangle_box(left: float, top: float, right: float, bottom: float) -> TextBox:
    """A rectangle (pixels) as an obstacle for labels."""
    return TextBox("", ((left, top), (right, top), (right, bottom), (left, bottom)))


def segment_box(x1: float, y1: float, x2: float, y2: float, half: float = 2.0) -> TextBox:
    """A line segment (pixels) as a thin turned rectangle: an obstacle for labels."""
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    nx, ny = -(y2 - y1) / length * half, (x2 - x1) / length * half
    corners = ((x1 + nx, y1 + ny), (x2 + nx, y2 + ny), (x2 - nx, y2 - ny), (x1 - nx, y1 - ny))
    return TextBox("", corners)
