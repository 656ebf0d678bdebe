"""The day in one picture (PNG): requests submitted / claimed / finished / closed over the
simulated day, follow-ups fired, and where every request ended. Chinese labels when a CJK
font is installed, English otherwise (matplotlib would draw boxes)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib import font_manager
from sqlalchemy import select

from community import clock
from community.models import FollowUp, Request

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)

LABELS = {
    "zh": {
        "title": "暖心 · 社区的一天",
        "submitted": "提交",
        "claimed": "接单",
        "done": "完成",
        "closed": "评价关闭",
        "followups": "跟进触发",
        "time": "时间（上海）",
        "count": "累计件数",
        "states": "诉求最终状态",
        "sat": "满意率 {rate}（{satisfied}/{rated}）",
        "quiet": "免打扰时段",
    },
    "en": {
        "title": "Nuanxin: one community day",
        "submitted": "submitted",
        "claimed": "claimed",
        "done": "finished",
        "closed": "closed (rated)",
        "followups": "follow-ups fired",
        "time": "time (Asia/Shanghai)",
        "count": "requests (cumulative)",
        "states": "where each request ended",
        "sat": "satisfaction {rate} ({satisfied}/{rated} rated 4-5)",
        "quiet": "quiet hours",
    },
}
STATE_EN = {
    "submitted": "in review",
    "open": "open",
    "claimed": "claimed",
    "in_progress": "in progress",
    "done": "done",
    "closed": "closed",
    "rejected": "rejected",
    "cancelled": "cancelled",
}


def cjk_font() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def day_chart(factory, path: Path, stats=None) -> Path:
    font = cjk_font()
    lang = "zh" if font else "en"
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False
    L = LABELS[lang]
    with factory() as s:
        requests = s.scalars(select(Request)).all()
        series = {
            key: sorted(
                clock.to_local(getattr(r, f"{key}_at")).replace(tzinfo=None)
                for r in requests
                if getattr(r, f"{key}_at")
            )
            for key in ("submitted", "claimed", "done", "closed")
        }
        fired = sorted(
            clock.to_local(f.fired_at).replace(tzinfo=None)
            for f in s.scalars(select(FollowUp).where(FollowUp.fired_at.is_not(None)))
        )
        states = Counter(str(getattr(r.state, "value", r.state)) for r in requests)

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [2.2, 1]})
    colours = {"submitted": "#1f77b4", "claimed": "#2ca02c", "done": "#ff7f0e", "closed": "#9467bd"}
    for key, times in series.items():
        if times:
            ax.step(
                times,
                range(1, len(times) + 1),
                where="post",
                label=f"{L[key]} ({len(times)})",
                color=colours[key],
                linewidth=2,
            )
    if fired:
        ax.plot(
            fired, [0.3] * len(fired), "|", color="#d62728", markersize=14, label=f"{L['followups']} ({len(fired)})"
        )
    everything = [t for times in series.values() for t in times] + fired
    if everything:  # quiet hours (21:30-08:00): non-urgent messages wait for the morning
        night = min(everything).replace(hour=21, minute=30, second=0, microsecond=0)
        if night < max(everything):
            ax.axvspan(
                night, night.replace(hour=8, minute=0) + timedelta(days=1), color="#eeeeff", zorder=0, label=L["quiet"]
            )
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    ax.set_xlabel(L["time"])
    ax.set_ylabel(L["count"])
    ax.set_title(L["title"])
    ax.grid(alpha=0.3)
    ax.legend(loc="center right")
    names = sorted(states, key=lambda k: -states[k])
    shown = [k if lang == "zh" else STATE_EN.get(k, k) for k in names]
    if lang == "zh":
        from community.texts import STATE_NAMES

        shown = [STATE_NAMES.get(k, k) for k in names]
    bx.barh(shown, [states[k] for k in names], color="#8c9eff")
    for i, k in enumerate(names):
        bx.text(states[k] + 0.1, i, str(states[k]), va="center")
    bx.invert_yaxis()
    title = L["states"]
    if stats is not None and stats.satisfaction.rated:
        sat = stats.satisfaction
        title += "\n" + L["sat"].format(rate=f"{sat.rate:.0%}", satisfied=sat.satisfied, rated=sat.rated)
    bx.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
