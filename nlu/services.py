"""The service menu and a keyword backstop for colloquial service names (no Rasa imports).

EntitySynonymMapper maps the colloquial forms listed in data/synonyms.yml
(修水管 -> 维修, 剪头发 -> 理发 ...). Residents invent new phrasings all the time
(水管又漏了, 灯不亮了); when the synonym table does not know an extracted service
span, ``canonical_service`` picks a menu name from keywords, or returns None.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

# The 便民服务 menu (names as shown to residents and stored by community/).
SERVICE_MENU = (
    "家政",
    "助老",
    "维修",
    "理发",
    "法律咨询",
    "代购",
    "陪医",
    "心理疏导",
    "助餐",
    "保洁",
)

# First match wins: the more specific rules come first.
_KEYWORDS = [
    ("法律咨询", r"法律|律师|打官司|官司|纠纷|遗嘱|合同|维权|法援|法务"),
    (
        "心理疏导",
        r"心理|疏导|谈心|聊天|聊聊|解闷|陪.{0,2}说话|唠嗑|唠唠|想不开|抑郁|焦虑|心情|孤单|孤独|郁闷|倾诉|失眠",
    ),
    ("陪医", r"陪医|陪诊|陪护|就医|看病|医院|复查|体检|拿药|取药|[取拿开].{1,2}药|挂号|输液"),
    ("理发", r"理发|剪发|剪.{0,2}头|剃.{0,2}头|推.{0,2}头|头发|理个发|洗剪吹|修面"),
    ("助餐", r"助餐|送餐|送饭|做饭|饭菜|午饭|晚饭|配餐|食堂|吃饭|盒饭"),
    ("代购", r"代购|代买|买.{0,3}(菜|药|东西|米|面|油|水果|日用品)|跑腿|捎|帮.{0,2}买|采购|代办|快递|包裹|驿站"),
    ("保洁", r"保洁|打扫|扫除|卫生|擦玻璃|擦窗|清洁|拖地|收拾屋|大扫除|油烟机|清洗"),
    (
        "维修",
        r"维修|修|坏|漏|堵|不亮|跳闸|电路|水管|马桶|下水|水龙头|灯泡|换灯|插座|门锁|"
        r"热水器|空调|暖气|燃气灶|电器|通下水|安装|装个",
    ),
    ("家政", r"家政|保姆|钟点工|月嫂|育儿嫂|护工|家务|洗衣服"),
    ("助老", r"助老|养老|老人|照顾|照看|看护|上门探望|探望|陪伴|洗澡|助浴|助行|搀扶"),
]
_COMPILED = [(name, re.compile(p)) for name, p in _KEYWORDS]

_CATEGORIES = Path(__file__).resolve().parents[1] / "data/community/categories.csv"


@lru_cache(maxsize=1)
def category_synonyms() -> dict[str, str]:
    """The community spreadsheet's own words for each service (categories.csv, column
    同义词) -> its menu name: the staff's table feeds the NLU (lookup table, backstop)."""
    out: dict[str, str] = {}
    if not _CATEGORIES.exists():
        return out
    with _CATEGORIES.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            name = (row.get("名称") or "").strip()
            if name not in SERVICE_MENU:
                continue
            for word in re.split(r"[|、,，;；]", row.get("同义词") or ""):
                if word.strip():
                    out.setdefault(word.strip(), name)
    return out


def canonical_service(text: str | None) -> str | None:
    """Menu name for an extracted service text (维修 for 水管漏了); None if unknown."""
    if not text:
        return None
    t = text.strip()
    if t in SERVICE_MENU:
        return t
    cats = category_synonyms()
    if t in cats:  # the spreadsheet's word, exactly (做饭 is 家政 there)
        return cats[t]
    for name in SERVICE_MENU:  # 家政服务, 维修一下
        if name in t:
            return name
    for name, rx in _COMPILED:
        if rx.search(t):
            return name
    for word in sorted(cats, key=len, reverse=True):  # 失眠好几天 -> 心理疏导
        if word in t:
            return cats[word]
    return None
