"""Charts drawn on the server as SVG: no script, no web font, nothing fetched.

Legible in grey and in print: one dark fill per chart with a black outline, every value written
beside its bar as text (colour never carries meaning), a title and a description for screen
readers, and each bar a link to the list behind it. The SVG scales to the page's width
(viewBox); text sizes are in the drawing's units.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_FILL = "#8c1c13"  # the header's red, darker: mid-grey when printed in black and white
GRID = "#bbbbbb"
TEXT = "#1a1a1a"
FONT = 'font-family="system-ui, sans-serif"'


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    href: str | None = None
    text: str | None = None  # the value as written (defaults to the number)
    title: str | None = None  # the tooltip (defaults to label and value)


def _nice_top(value: int) -> int:
    """A round number at or above the largest value, for the axis."""
    if value <= 5:
        return max(1, value)
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        top = step * magnitude
        if top >= value:
            return top
    return value  # pragma: no cover


def _link(href: str | None, inner: str) -> str:
    if not href:
        return inner
    return f'<a href="{escape(href)}">{inner}</a>'


def column_chart(bars: Sequence[Bar], *, title: str, description: str, chart_id: str,
                 unit: str = "") -> Markup:
    """Vertical bars (a trend over time): labels below, values above, a few grid lines."""
    width, height = 720, 260
    left, right, top, bottom = 44, 8, 24, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_top(max((bar.value for bar in bars), default=0))
    slot = plot_w / max(1, len(bars))
    bar_w = max(2.0, slot * 0.7)
    every = max(1, -(-len(bars) // 16))  # at most about 16 labels under the axis
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" '
             f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{escape(chart_id)}-t '
             f'{escape(chart_id)}-d" {FONT} font-size="12">',
             f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
             f'<desc id="{escape(chart_id)}-d">{escape(description)}</desc>']
    for step in range(5):
        value = peak * step / 4
        y = top + plot_h - plot_h * step / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">'
                     f'{int(value) if value == int(value) else f"{value:.1f}"}</text>')
    for index, bar in enumerate(bars):
        x = left + slot * index + (slot - bar_w) / 2
        h = plot_h * bar.value / peak if peak else 0
        y = top + plot_h - h
        tip = bar.title or f"{bar.label}：{bar.text or bar.value}{unit}"
        shape = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{max(h, 0.5):.1f}" '
                 f'fill="{BAR_FILL}" stroke="#000" stroke-width="0.5"><title>{escape(tip)}</title>'
                 f'</rect>')
        if bar.value and len(bars) <= 30:
            shape += (f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                      f'fill="{TEXT}">{escape(bar.text or str(bar.value))}</text>')
        parts.append(_link(bar.href, shape))
        if index % every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" '
                         f'text-anchor="middle" fill="{TEXT}">{escape(bar.label)}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" '
                 f'y2="{top + plot_h}" stroke="#000" stroke-width="1"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(bars: Sequence[Bar], *, title: str, description: str, chart_id: str) -> Markup:
    """Horizontal bars (categories): the label at the left, the value after the bar."""
    row, label_w, value_w, width = 26, 150, 70, 720
    height = row * max(1, len(bars)) + 8
    plot_w = width - label_w - value_w
    peak = max((bar.value for bar in bars), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" '
             f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{escape(chart_id)}-t '
             f'{escape(chart_id)}-d" {FONT} font-size="13">',
             f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
             f'<desc id="{escape(chart_id)}-d">{escape(description)}</desc>']
    for index, bar in enumerate(bars):
        y = 4 + row * index
        w = plot_w * bar.value / peak
        shape = (f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" fill="{TEXT}">'
                 f'{escape(bar.label)}</text>'
                 f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 0.5):.1f}" height="{row - 8}" '
                 f'fill="{BAR_FILL}" stroke="#000" stroke-width="0.5"><title>'
                 f'{escape(bar.title or f"{bar.label}：{bar.text or bar.value}")}</title></rect>'
                 f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" fill="{TEXT}">'
                 f'{escape(bar.text or str(bar.value))}</text>')
        parts.append(_link(bar.href, shape))
    parts.append("</svg>")
    return Markup("".join(parts))
