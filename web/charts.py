"""Small bar charts as inline SVG, rendered on the server: no JavaScript, no build step.
Every bar has a <title> (hover text) and a visible value label, so the figures can be read
without the picture too."""

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


def column_chart(points: list[tuple[str, int]], label: str, *, every: int = 1) -> Markup:
    """Vertical bars, e.g. requests per day. `every` labels one x tick in so many."""
    if not points or not any(v for _, v in points):
        return Markup(f'<p class="muted">{escape(texts.CHART_EMPTY)}</p>')
    width, height, left, bottom, top = 640, 200, 30, 30, 15
    top_value = max(v for _, v in points)
    slot = (width - left) / len(points)
    bar = max(2.0, slot * 0.7)
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10">{top_value}</text>',
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
        if value and len(points) <= 40:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 2:.1f}" text-anchor="middle" font-size="9">{value}</text>'
            )
        if i % every == 0:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                f'font-size="10">{escape(name)}</text>'
            )
    return _svg(width, height, body, label, "columns")


def satisfaction_chart(rows: list[tuple[str, float | None, int, int]], target: float, label: str) -> Markup:
    """Horizontal bars of 满意率 per grid or team, with the target as a dashed line.
    rows: (name, rate or None, satisfied, rated)."""
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return Markup(f'<p class="muted">{escape(texts.CHART_EMPTY)}</p>')
    left, right, row_h, width = 130, 70, 26, 640
    height = row_h * len(rows) + 24
    span = width - left - right
    target_x = left + span * target
    body = []
    for i, (name, rate, satisfied, rated) in enumerate(rows):
        y = 4 + i * row_h
        w = span * rate
        color = OK_COLOR if rate >= target else LOW_COLOR
        pct = f"{rate:.1%}"
        title = escape(texts.CHART_SAT_TITLE.format(label=name, rate=pct, satisfied=satisfied, rated=rated))
        body.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(name)}</text>')
        body.append(
            f'<rect class="bar" x="{left}" y="{y}" width="{w:.1f}" height="{row_h - 8}" fill="{color}" '
            f'data-value="{rate:.4f}"><title>{title}</title></rect>'
        )
        body.append(f'<text x="{left + w + 4:.1f}" y="{y + 14}" font-size="11">{pct}（{satisfied}/{rated}）</text>')
    body.append(
        f'<line class="target" x1="{target_x:.1f}" y1="0" x2="{target_x:.1f}" y2="{height - 18}" '
        f'stroke="#333" stroke-dasharray="4 3"/>'
    )
    body.append(
        f'<text x="{target_x:.1f}" y="{height - 4}" text-anchor="middle" font-size="10">'
        f"{escape(texts.CHART_TARGET.format(target=target))}</text>"
    )
    return _svg(width, height, body, label, "bars")
