"""Bar and line charts drawn on the server as inline SVG: no script, no CDN, nothing for the CSP to allow.

``chart_svg(chart, *, title=, described_by=)`` returns the markup (safe: every text is escaped). The SVG has
``role="img"``, a ``<title>`` and ``aria-describedby`` pointing at the table that carries the same figures,
so a screen reader reads the table, not the drawing. Colours are presentation attributes (a CSP with
``style-src 'self'`` forbids inline ``style``); sizes are in a ``viewBox`` and the SVG scales to its box.
"""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Okabe–Ito palette (distinguishable with colour-vision deficiencies), then two greys.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#999999",
    "#666666",
)
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 34, 46


def _nice_step(value: float, *, integers: bool) -> float:
    """A round step (1, 2, 2.5 or 5 × 10ⁿ; a whole number for counts) so that four steps cover ``value``."""
    if value <= 0:
        return 1
    raw = value / 4
    exponent = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * exponent
        if step >= raw and (not integers or step == int(step)):
            return step
    return 10 * exponent  # pragma: no cover


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.3g}"


def _numbers(series) -> list[float]:
    return [float(v) for _name, values in series for v in values if v is not None]


def _axes(top_value: float, unit: str) -> list[str]:
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = top_value * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="#444">{escape(_fmt(value))}</text>'
        )
    if unit:
        parts.append(
            f'<text x="{LEFT - 4}" y="{TOP - 8}" text-anchor="end" font-size="10" fill="#444">{escape(unit)}</text>'
        )
    return parts


def _category_labels(categories, slot: float) -> list[str]:
    parts = []
    every = max(1, math.ceil(len(categories) * 56 / (WIDTH - LEFT - RIGHT)))  # ~56 units per label
    for i, label in enumerate(categories):
        if i % every:
            continue
        x = LEFT + slot * (i + 0.5)
        text = str(label)
        if len(text) > 8:
            text = text[:7] + "…"
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" font-size="10" fill="#222">{escape(text)}</text>'
        )
    return parts


def _legend(series) -> list[str]:
    parts, x = [], LEFT
    for index, (name, _values) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        text = str(name)
        parts.append(f'<rect x="{x}" y="8" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="17" font-size="11" fill="#222">{escape(text)}</text>')
        x += 24 + 11 * len(text)
        if x > WIDTH - 80:
            break
    return parts


def _bars(categories, series, top_value: float) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(categories))
    bar = slot * 0.8 / max(1, len(series))
    parts = []
    for s_index, (name, values) in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        for i, value in enumerate(values):
            if value is None:
                continue
            h = max(0.0, plot_h * float(value) / top_value)
            x = LEFT + slot * i + slot * 0.1 + bar * s_index
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{max(bar - 1, 1):.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(str(name))} · {escape(str(categories[i]))}: {escape(_fmt(float(value)))}</title></rect>'
            )
    return parts


def _lines(categories, series, top_value: float) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(categories))
    parts = []
    for s_index, (name, values) in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        points = []
        for i, value in enumerate(values):
            if value is None:
                if len(points) > 1:
                    parts.append(
                        f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>'
                    )
                points = []
                continue
            x, y = LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * float(value) / top_value
            points.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>{escape(str(name))} · '
                f"{escape(str(categories[i]))}: {escape(_fmt(float(value)))}</title></circle>"
            )
        if len(points) > 1:
            parts.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
    return parts


def chart_svg(chart, *, title: str, described_by: str = "") -> SafeString:
    """The SVG of ``chart`` (``core.dashboard.Chart``: kind "bar" or "line", categories, series)."""
    numbers = _numbers(chart.series)
    integers = all(float(n).is_integer() for n in numbers)
    top_value = 100 if chart.unit == "%" else 4 * _nice_step(max(numbers, default=0), integers=integers)
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(chart.categories))
    described = f' aria-describedby="{escape(described_by)}"' if described_by else ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dashboard-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" preserveAspectRatio="xMidYMid meet"{described}>',
        f"<title>{escape(title)}</title>",
        *_axes(top_value, chart.unit),
        *_category_labels(chart.categories, slot),
        *(_lines if chart.kind == "line" else _bars)(chart.categories, chart.series, top_value),
        *_legend(chart.series),
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM}" stroke="#333" stroke-width="1"/>',
        "</svg>",
    ]
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()
