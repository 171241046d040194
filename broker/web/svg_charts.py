"""Bar charts as SVG made on the server: no script, no style attribute, no build step.

The chart is markup to put straight into a page; its look comes from classes in
antre.css (`chart`, `bar`, `axis`, `gridline`, `label`, `value`), so it passes a strict
content security policy.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 8, 18, 28


@dataclass(frozen=True, slots=True)
class Bar:
    """One slot on the x axis; a value of zero leaves the slot empty."""

    label: str
    value: float
    # The value as the page writes it (number format of the visitor's language).
    text: str
    # A longer name for the tooltip, e.g. the service's full name.
    title: str = ""


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    chart_id: str,
    unit: str = "",
    number: Callable[[float], str] = lambda value: f"{value:g}",
) -> Markup:
    """A vertical bar chart of `bars`, scaled so the tallest fits; `number` writes the axis."""
    top = nice_ceiling(max((bar.value for bar in bars), default=0.0))
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    slot = plot_w / max(len(bars), 1)
    bar_w = min(max(slot * 0.7, 1.0), 64.0)
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for step in range(3):
        value = top * step / 2
        y = _TOP + plot_h - plot_h * step / 2
        parts.append(
            f'<line class="gridline" x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(number(value))}</text>"
        )
    if unit:
        parts.append(f'<text class="axis" x="{_LEFT - 6}" y="{_TOP - 6}" text-anchor="end">')
        parts.append(f"{escape(unit)}</text>")
    for index, bar in enumerate(bars):
        centre = _LEFT + slot * (index + 0.5)
        parts.append(
            f'<text class="label" x="{centre:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{escape(bar.label)}</text>"
        )
        if bar.value <= 0:
            continue
        height = plot_h * bar.value / top
        y = _TOP + plot_h - height
        tooltip = f"{bar.title or bar.label}: {bar.text}"
        parts.append(
            f'<rect class="bar" x="{centre - bar_w / 2:.1f}" y="{y:.1f}" '
            f'width="{bar_w:.1f}" height="{height:.1f}"><title>{escape(tooltip)}</title></rect>'
            f'<text class="value" x="{centre:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
            f"{escape(bar.text)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least `value` (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if value <= factor * power:
            return factor * power
    return 10 * power
