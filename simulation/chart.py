"""A line chart as a standalone SVG file: lines over time, a legend, no script.

Unlike the web console's charts (`broker.web.svg_charts`, styled by the console's CSS),
this one is a file of its own, opened in a browser or shown in a Markdown page, so its
colours and fonts are attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape as _escape

from broker.web.svg_charts import nice_ceiling

WIDTH = 960
HEIGHT = 400
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 190, 40, 36
COLOURS = ("#12306b", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c")
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


def escape(text: str) -> str:
    """Text for an element or a double-quoted attribute."""
    return _escape(text, {'"': "&quot;"})


@dataclass(frozen=True, slots=True)
class Line:
    """One line: its name in the legend and its (x, y) points, x ascending."""

    name: str
    points: Sequence[tuple[float, float]]
    width: float = 1.5


def line_chart(
    lines: Sequence[Line],
    *,
    title: str,
    x_ticks: Sequence[tuple[float, str]],
    y_label: str,
) -> str:
    """An SVG document: `lines` over the x range of `x_ticks`, y from 0 to a round top."""
    xs = [x for x, _ in x_ticks] + [x for line in lines for x, _ in line.points]
    x_min, x_max = min(xs, default=0.0), max(xs, default=1.0)
    x_span = (x_max - x_min) or 1.0
    top = nice_ceiling(max((y for line in lines for _, y in line.points), default=0.0))
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM

    def px(x: float) -> float:
        return _LEFT + plot_w * (x - x_min) / x_span

    def py(y: float) -> float:
        return _TOP + plot_h - plot_h * y / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{_LEFT}" y="22" font-size="16" font-weight="bold" fill="#111" {FONT}>'
        f"{escape(title)}</text>",
    ]
    for step in range(5):
        value = top * step / 4
        y = py(value)
        parts.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" '
            'stroke="#dde1e8" stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="11" fill="#555" '
            f'text-anchor="end" {FONT}>{value:g}</text>'
        )
    parts.append(
        f'<text x="12" y="{_TOP + plot_h / 2:.1f}" font-size="11" fill="#555" '
        f'transform="rotate(-90 12 {_TOP + plot_h / 2:.1f})" text-anchor="middle" {FONT}>'
        f"{escape(y_label)}</text>"
    )
    for x, label in x_ticks:
        parts.append(
            f'<line x1="{px(x):.1f}" y1="{_TOP}" x2="{px(x):.1f}" y2="{_TOP + plot_h}" '
            'stroke="#eef0f4" stroke-width="1"/>'
            f'<text x="{px(x):.1f}" y="{HEIGHT - 14}" font-size="11" fill="#555" '
            f'text-anchor="middle" {FONT}>{escape(label)}</text>'
        )
    for index, line in enumerate(lines):
        colour = COLOURS[index % len(COLOURS)]
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in line.points)
        if points:
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="{line.width}" stroke-linejoin="round"/>'
            )
        legend_y = _TOP + 8 + index * 20
        parts.append(
            f'<line x1="{WIDTH - _RIGHT + 14}" y1="{legend_y}" x2="{WIDTH - _RIGHT + 38}" '
            f'y2="{legend_y}" stroke="{colour}" stroke-width="{max(line.width, 2)}"/>'
            f'<text x="{WIDTH - _RIGHT + 44}" y="{legend_y + 4}" font-size="12" fill="#111" '
            f"{FONT}>{escape(line.name)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
