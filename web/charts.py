"""Small bar charts as inline SVG, rendered on the server: no JavaScript, no build step.
Every bar has a <title> (hover text) and a visible value label, so the figures can be read
without the picture too.

Sized for a phone first: a 420-unit-wide drawing with 13-unit text is drawn about 340 px
wide on a 390 px screen, so its text stays above 10 px; every label is placed inside the
drawing (names above their bars, percentages inside or right after them), so nothing is cut
off at 100%."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from web import texts

BAR_COLOR = "#c0392b"
OK_COLOR = "#27ae60"
LOW_COLOR = "#e67e22"


def _svg(width: int, height: int, body: list[str], label: str, kind: str) -> Markup:
    return Markup(
        f'<svg class="chart {kind}" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body)
        + "</svg>"
    )


WIDTH = 420
FONT = 13
VALUE_LABELS_MAX_POINTS = 15  # more bars than this: values in the hover titles only


def column_chart(
    points: list[tuple[str, int]], label: str, *, every: int = 1, ticks: list[str] | None = None
) -> Markup:
    """Vertical bars, e.g. requests per day. `every` labels one x tick in so many; `ticks`
    are shorter names for the axis (the full names stay in the hover titles)."""
    if not points or not any(v for _, v in points):
        return Markup(f'<p class="muted">{escape(texts.CHART_EMPTY)}</p>')
    width, height, left, bottom, top = WIDTH, 230, 34, 34, 20
    # Tick labels need about 5 characters of room each.
    every = max(every, -(-len(points) * FONT * 3 // (width - left)))
    top_value = max(v for _, v in points)
    slot = (width - left) / len(points)
    bar = max(2.0, slot * 0.7)
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="{FONT}">{top_value}</text>',
    ]
    for i, (name, value) in enumerate(points):
        h = (height - bottom - top) * value / top_value
        x = left + i * slot + (slot - bar) / 2
        y = height - bottom - h
        title = escape(texts.CHART_BAR_TITLE.format(label=name, value=value))
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="{BAR_COLOR}" data-value="{value}"><title>{title}</title></rect>'
        )
        if value and len(points) <= VALUE_LABELS_MAX_POINTS:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="{FONT}">{value}</text>'
            )
        if i % every == 0:
            tick = ticks[i] if ticks else name
            anchor = "start" if i == 0 else ("end" if i == len(points) - 1 else "middle")
            tick_x = x if anchor == "start" else (x + bar if anchor == "end" else x + bar / 2)
            body.append(
                f'<text x="{tick_x:.1f}" y="{height - bottom + 18}" text-anchor="{anchor}" '
                f'font-size="{FONT}">{escape(tick)}</text>'
            )
    return _svg(width, height, body, label, "columns")


def satisfaction_chart(rows: list[tuple[str, float | None, int, int]], target: float, label: str) -> Markup:
    """Horizontal bars of 满意率 per grid or team, with the target as a dashed line.
    rows: (name, rate or None, satisfied, rated)."""
    bars = [(name, rate, satisfied, rated) for name, rate, satisfied, rated in rows if rate is not None]
    if not bars:
        return Markup(f'<p class="muted">{escape(texts.CHART_EMPTY)}</p>')
    # Each row: the name on its own line, then the bar; the figure sits inside a long bar
    # (white) or right after a short one, so "100.0%（3/3）" is never cut off.
    left, right, row_h, bar_h, width = 4, 4, 48, 20, WIDTH
    height = row_h * len(bars) + 26
    span = width - left - right
    target_x = left + span * target
    inside_from = 0.55  # bars longer than this share of the width carry their figure inside
    body = []
    for i, (name, rate, satisfied, rated) in enumerate(bars):
        y = 4 + i * row_h
        w = span * rate
        color = OK_COLOR if rate >= target else LOW_COLOR
        pct = f"{rate:.1%}"
        title = escape(texts.CHART_SAT_TITLE.format(label=name, rate=pct, satisfied=satisfied, rated=rated))
        figure = escape(texts.CHART_SAT_FIGURE.format(rate=pct, satisfied=satisfied, rated=rated))
        body.append(f'<text x="{left}" y="{y + FONT}" font-size="{FONT}">{escape(name)}</text>')
        bar_y = y + FONT + 5
        body.append(
            f'<rect class="bar" x="{left}" y="{bar_y}" width="{w:.1f}" height="{bar_h}" fill="{color}" '
            f'data-value="{rate:.4f}"><title>{title}</title></rect>'
        )
        if rate >= inside_from:  # at the bar's start, clear of the target line near its end
            body.append(
                f'<text class="figure" x="{left + 6}" y="{bar_y + bar_h - 5}" font-size="{FONT}" fill="#fff">{figure}</text>'
            )
        else:
            body.append(
                f'<text class="figure" x="{left + w + 4:.1f}" y="{bar_y + bar_h - 5}" font-size="{FONT}">{figure}</text>'
            )
    body.append(
        f'<line class="target" x1="{target_x:.1f}" y1="0" x2="{target_x:.1f}" y2="{height - 20}" '
        f'stroke="#333" stroke-dasharray="4 3"/>'
    )
    body.append(
        f'<text x="{target_x:.1f}" y="{height - 5}" text-anchor="end" font-size="{FONT}">'
        f"{escape(texts.CHART_TARGET.format(target=target))}</text>"
    )
    return _svg(width, height, body, label, "bars")
