"""The community's information desk (问答): residents ask the office the same questions
every day (where it is, when it opens, its phone, how to get a certificate, the elderly
card, medical insurance, the lockers, rubbish, heating, water). Staff keep the answers in
a spreadsheet (faq.csv, loaded by community.loader into `FaqEntry` rows); the office's own
address, hours, phone and map link come from community.csv (`Community.office_*`).

The NLU only tells that a message is such a question (intent `ask_info`); which answer
fits is decided here, at run time, by matching the message against every question
variant in the database. So a new answer, a changed answer or a new phrasing is a
spreadsheet edit and a reload, never a retraining.

Matching (`Index`): both sides are normalised (Traditional -> Simplified, full-width ->
half-width, no punctuation, no politeness fillers such as 请问/一下), cut into characters
and character bigrams, and compared by a cosine over these sets, each n-gram weighted by
its inverse document frequency across the community's entries: 社区 or 电话, which many
questions share, weigh little; 证明 or 老年卡 weigh much, and n-grams no entry has weigh
the most, so a message about something else scores low. An entry's score is that of its
best variant. Below `ANSWER_THRESHOLD` the desk does not guess: the question is recorded
(`FaqMiss`, redacted) and the resident is offered a person; staff see the most asked of
those (`gaps`) to add answers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import clock, texts
from community.models import Community, FaqEntry, FaqMiss, Person
from community.redaction import redact

# At or above: the desk answers. Measured in tests/test_faq.py on the sample community:
# rephrased questions about a listed topic score 0.44-1.0, questions about unlisted topics
# and requests for services 0-0.32.
ANSWER_THRESHOLD = 0.4
# A message the NLU did not take for a question (out_of_scope, nlu_fallback) is answered
# from the desk only when the match is this sure, and never recorded as a miss.
SURE_THRESHOLD = 0.55
MISS_TEXT_MAX = 200
GAP_WINDOW_DAYS = 90
GAP_SCAN_LIMIT = 5000  # most recent misses a report looks at
GAP_SAME = 0.45  # two misses at least this similar count as the same question (狗证在哪办 / 狗证去哪里办)

# Words that make a question polite, not different. Removed before matching (longest first).
_FILLERS = sorted(
    [
        "请问一下",
        "请问",
        "问一下",
        "问个事",
        "问问",
        "想问",
        "打听一下",
        "打听",
        "咨询一下",
        "咨询",
        "麻烦",
        "你好",
        "您好",
        "谢谢",
        "一下",
        "我想",
        "我要",
        "想知道",
        "知道",
        "告诉我",
    ],
    key=len,
    reverse=True,
)
_FILLER_RE = re.compile("|".join(map(re.escape, _FILLERS)))
# Sentence particles and the measure word 个 (开个证明 = 开证明) carry no topic; nor does a
# final 不/没有 that makes a yes-no question (周六上班不 = 周六上班吗).
_PARTICLES = set("吗呢啊呀吧哦嘛啦的了个")
_YES_NO_TAIL = re.compile(r"(?:不|没有|没)$")
# Colloquial words for the same thing, one spelling each (哪儿 = 哪里 = 哪, 咋 = 怎么).
_SAME = {"哪儿": "哪", "哪里": "哪", "什么地方": "哪", "啥": "什么", "咋": "怎么", "如何": "怎么", "怎样": "怎么"}
_SAME_RE = re.compile("|".join(map(re.escape, sorted(_SAME, key=len, reverse=True))))
# The frame of a question (where, how, when, what, whom, apply, can, I/you) is shared by
# questions about anything: n-grams made only of these characters weigh a third, so
# 狗证在哪办理 does not match 老年卡在哪办理 on 在哪办理.
_FRAME = set("在哪怎么办理什么时候几多少需要去找谁申请可以能有没是我你们给到来会")
FRAME_WEIGHT = 0.35
_KEEP = re.compile(r"[0-9a-z\u3400-\u9fff]+")


@lru_cache(maxsize=1)
def _t2s() -> Any:
    from opencc import OpenCC  # opencc-python-reimplemented (also the NLU's normaliser)

    return OpenCC("t2s")


def normalize_question(text: str | None) -> str:
    """What is compared: Simplified, half-width, lower-case, letters/digits/CJK only,
    without fillers and particles."""
    value = unicodedata.normalize("NFKC", text or "").lower()
    value = _t2s().convert(value)
    value = "".join(_KEEP.findall(value))
    value = _SAME_RE.sub(lambda m: _SAME[m.group(0)], value)
    value = _YES_NO_TAIL.sub("", _FILLER_RE.sub("", value))
    return "".join(ch for ch in value if ch not in _PARTICLES)


def features(text: str) -> frozenset[str]:
    """Characters and character bigrams of a normalised question."""
    grams = set(text)
    grams.update(text[i : i + 2] for i in range(len(text) - 1))
    return frozenset(grams)


@dataclass(frozen=True)
class Entry:
    key: str
    questions: tuple[str, ...]
    answer: str
    link: str | None = None
    phone: str | None = None
    builtin: bool = False  # from community.csv, not a faq.csv row


@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float
    question: str  # the variant that matched best


class Index:
    """The entries' question variants, ready to match. Pure: build it from any entries."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = list(entries)
        self._variants: list[tuple[Entry, str, frozenset[str]]] = []
        df: dict[str, int] = {}
        for entry in self.entries:
            seen: set[str] = set()
            for q in entry.questions:
                grams = features(normalize_question(q))
                if grams:
                    self._variants.append((entry, q, grams))
                    seen |= grams
            for g in seen:
                df[g] = df.get(g, 0) + 1
        n = max(len(self.entries), 1)
        self._idf = {g: math.log((n + 1) / (c + 0.5)) for g, c in df.items()}
        self._unseen = math.log((n + 1) / 0.5)  # an n-gram no entry has: the most specific

    def _weight(self, gram: str) -> float:
        w = self._idf.get(gram, self._unseen)
        if all(ch in _FRAME for ch in gram):
            w *= FRAME_WEIGHT
        return w if len(gram) > 1 else w * 0.5  # a bigram says more than a character

    def _mass(self, grams: Iterable[str]) -> float:
        return sum(self._weight(g) for g in grams)

    def ranked(self, text: str, limit: int = 3) -> list[Match]:
        """The best entries for a question, best first (one Match per entry)."""
        query = features(normalize_question(text))
        if not query:
            return []
        query_mass = self._mass(query)
        best: dict[str, Match] = {}
        for entry, q, grams in self._variants:
            common = query & grams
            if not common:
                continue
            score = self._mass(common) / math.sqrt(query_mass * self._mass(grams))
            if entry.key not in best or score > best[entry.key].score:
                best[entry.key] = Match(entry, round(score, 4), q)
        return sorted(best.values(), key=lambda m: -m.score)[:limit]

    def best(self, text: str) -> Match | None:
        found = self.ranked(text, 1)
        return found[0] if found else None


def _plain_weight(gram: str) -> float:
    w = 1.0 if len(gram) > 1 else 0.5
    return w * FRAME_WEIGHT if all(ch in _FRAME for ch in gram) else w


def similarity(a: str, b: str) -> float:
    """Two questions' likeness without a community's frequencies (for grouping misses):
    the same cosine, bigrams over characters, the question frame weighing a third."""
    fa, fb = features(normalize_question(a)), features(normalize_question(b))
    if not fa or not fb:
        return 0.0

    def mass(grams: Iterable[str]) -> float:
        return sum(_plain_weight(g) for g in grams)

    return mass(fa & fb) / math.sqrt(mass(fa) * mass(fb))


# --- the community's entries -----------------------------------------------------------


def office_entries(community: Community) -> list[Entry]:
    """The office's own questions, answered from community.csv (only for filled fields)."""
    name = community.name
    hours = community.office_hours
    found: list[Entry] = []
    if community.office_address:
        answer = texts.FAQ_OFFICE_ADDRESS.format(name=name, address=community.office_address)
        if hours:
            answer += texts.FAQ_OFFICE_HOURS_TAIL.format(hours=hours)
        found.append(
            Entry("office_address", texts.FAQ_OFFICE_ADDRESS_QUESTIONS, answer, community.office_map_url, builtin=True)
        )
    if hours:
        found.append(
            Entry(
                "office_hours",
                texts.FAQ_OFFICE_HOURS_QUESTIONS,
                texts.FAQ_OFFICE_HOURS.format(name=name, hours=hours),
                builtin=True,
            )
        )
    if community.office_phone:
        answer = texts.FAQ_OFFICE_PHONE.format(name=name, phone=community.office_phone)
        if hours:
            answer += texts.FAQ_OFFICE_HOURS_TAIL.format(hours=hours)
        found.append(Entry("office_phone", texts.FAQ_OFFICE_PHONE_QUESTIONS, answer, builtin=True))
    return found


def entries(session: Session, community: Community) -> list[Entry]:
    rows = session.scalars(
        select(FaqEntry).where(FaqEntry.community_id == community.id).order_by(FaqEntry.position, FaqEntry.id)
    )
    sheet = [Entry(r.key, tuple(r.question_list), r.answer, r.link, r.phone) for r in rows]
    return office_entries(community) + sheet


def index_for(session: Session, community: Community) -> Index:
    # Read on every question: a reload of faq.csv is visible to the next message. A
    # community has tens of entries; building the index takes well under a millisecond.
    return Index(entries(session, community))


def render(entry: Entry) -> str:
    """The reply: the answer, then its phone and link on their own lines (no blank line:
    Rasa's REST channel would split the message there)."""
    lines = [entry.answer.strip()]
    if entry.phone:
        lines.append(texts.FAQ_PHONE_LINE.format(phone=entry.phone))
    if entry.link:
        lines.append(texts.FAQ_LINK_LINE.format(link=entry.link))
    return "\n".join(lines)


@dataclass(frozen=True)
class Reply:
    text: str
    match: Match | None  # None: not answered (recorded as a miss)
    office_phone: str | None = None


def community_for(session: Session, person_id: int | None) -> Community | None:
    """The asker's community; without one on record, the only community if there is one."""
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is not None and person.community_id is not None:
            return session.get(Community, person.community_id)
    found = session.scalars(select(Community).limit(2)).all()
    return found[0] if len(found) == 1 else None


def answer(session: Session, community: Community, question: str) -> Reply:
    """Answer a resident's question from the community's entries, or record it as a miss.
    The caller commits (the miss is a write)."""
    match = index_for(session, community).best(question)
    if match is not None and match.score >= ANSWER_THRESHOLD:
        return Reply(render(match.entry), match, community.office_phone)
    record_miss(session, community, question, match.score if match else 0.0)
    if community.office_phone:
        text = texts.FAQ_UNKNOWN_WITH_PHONE.format(name=community.name, phone=community.office_phone)
    else:
        text = texts.FAQ_UNKNOWN
    return Reply(text, None, community.office_phone)


def sure_answer(session: Session, community: Community, text: str) -> Reply | None:
    """The desk's answer if the message clearly matches an entry, else None (nothing stored)."""
    match = index_for(session, community).best(text)
    if match is None or match.score < SURE_THRESHOLD:
        return None
    return Reply(render(match.entry), match, community.office_phone)


def record_miss(session: Session, community: Community, question: str, score: float) -> None:
    text = redact(" ".join((question or "").split()))[:MISS_TEXT_MAX]
    if text:
        session.add(FaqMiss(community_id=community.id, text=text, score=score))


@dataclass
class Gap:
    text: str  # the wording asked most often (the shortest of those)
    count: int
    last_at: datetime
    examples: list[str]  # other wordings, most recent first (at most three)


def gaps(session: Session, community: Community, limit: int = 10, days: int = GAP_WINDOW_DAYS) -> list[Gap]:
    """The most asked questions the desk could not answer, over the last `days` days:
    similar wordings grouped, and questions an entry added since then answers left out."""
    since = clock.now() - timedelta(days=days)
    misses = session.scalars(
        select(FaqMiss)
        .where(FaqMiss.community_id == community.id, FaqMiss.at >= since)
        .order_by(FaqMiss.at.desc(), FaqMiss.id.desc())
        .limit(GAP_SCAN_LIMIT)
    ).all()
    index = index_for(session, community)
    answered: dict[str, bool] = {}
    groups: list[tuple[dict[str, int], list[FaqMiss]]] = []  # wording -> times asked, and the misses
    for miss in misses:  # newest first
        key = normalize_question(miss.text)
        if key not in answered:
            m = index.best(miss.text)
            answered[key] = m is not None and m.score >= ANSWER_THRESHOLD
        if answered[key]:
            continue
        for wordings, members in groups:
            if miss.text in wordings or any(similarity(w, miss.text) >= GAP_SAME for w in list(wordings)[:20]):
                wordings[miss.text] = wordings.get(miss.text, 0) + 1
                members.append(miss)
                break
        else:
            groups.append(({miss.text: 1}, [miss]))
    found = []
    for wordings, members in groups:
        text = min(wordings, key=lambda w: (-wordings[w], len(w)))
        others = [w for w in wordings if w != text][:3]
        found.append(Gap(text, len(members), members[0].at, others))
    found.sort(key=lambda g: (-g.count, -g.last_at.timestamp()))
    return found[:limit]


def gaps_text(session: Session, community: Community, limit: int = 10) -> str:
    """The gaps report for a chat or a terminal."""
    found = gaps(session, community, limit)
    if not found:
        return texts.FAQ_GAPS_NONE.format(days=GAP_WINDOW_DAYS)
    lines = [texts.FAQ_GAPS_HEAD.format(days=GAP_WINDOW_DAYS, count=len(found))]
    tz = community.timezone
    for i, g in enumerate(found, start=1):
        lines.append(texts.FAQ_GAPS_LINE.format(n=i, text=g.text, count=g.count, last=clock.local_text(g.last_at, tz)))
    lines.append(texts.FAQ_GAPS_TAIL)
    return "\n".join(lines)
