"""Text normalisation for residents' messages (no Rasa imports).

Steps, in order, each keeping a map from original to normalised character offsets so
entity annotations in training data stay aligned:

1. drop emoji, pictographs, zero-width/format and control characters
   (control characters that are whitespace become spaces);
2. NFKC: full-width letters, digits and punctuation become half-width
   (３号楼 -> 3号楼, ＯＫ -> OK), compatibility ideographs become unified ones;
3. Traditional -> Simplified Chinese with OpenCC's ``t2s`` table
   (opencc-python-reimplemented): 我想要一台輪椅 -> 我想要一台轮椅;
4. whitespace runs collapse to one ASCII space, leading/trailing space is dropped;
5. what voice typing and chat add (``colloquial=True``, the default), in this order:
   runs of one punctuation mark become one (!!! -> !, 。。。 -> 。);
   spoken digits in a number run of three or more become digits
   (幺三九幺二三四五六七八 -> 13912345678, 五零二 -> 502; 幺 = 1, 洞/零/〇 = 0, 两 = 2);
   English/pinyin/number chat words become Chinese (ok -> 好的, thx/3q -> 谢谢,
   886 -> 拜拜, hi -> 你好);
   fillers go (那个那个, and 嗯/呃/额/就是/那个/然后 standing alone between spaces or
   punctuation), unless the message is nothing but the filler (嗯 alone says yes);
6. the result is capped at ``max_chars`` characters (default 5,000).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MAX_CHARS = 5000

# Emoji and pictograph blocks, plus the joiners/selectors that glue emoji together.
_EMOJI_RE = re.compile(
    "["
    "\U0001f000-\U0001faff"  # mahjong, cards, enclosed, pictographs, emoticons, transport, supplemental
    "\U00002600-\U000027bf"  # misc symbols and dingbats (☀ ☎ ✔ ❤)
    "\U00002b00-\U00002bff"  # arrows, stars (⭐ ⬆)
    "\U0000fe00-\U0000fe0f"  # variation selectors
    "\U000e0000-\U000e007f"  # tags
    "\u200d\u20e3"  # zero-width joiner, combining keycap
    "]"
)
_DROP_CATEGORIES = {"Cf", "Co", "Cs", "Cn"}


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC  # opencc-python-reimplemented

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified (phrase-aware OpenCC t2s)."""
    return _t2s().convert(text)


@dataclass
class Normalized:
    text: str
    # offsets[i] = index in ``text`` where original character i starts; has
    # len(original) + 1 entries so that an exclusive end offset can be mapped too.
    offsets: list[int]

    def map_span(self, start: int, end: int) -> tuple[int, int]:
        """Map an original [start, end) span to the normalised text."""
        new_start = self.offsets[start]
        new_end = self.offsets[end]
        # trim whitespace that the span may now begin or end with
        while new_start < new_end and self.text[new_start] == " ":
            new_start += 1
        while new_end > new_start and self.text[new_end - 1] == " ":
            new_end -= 1
        return new_start, new_end


def _is_dropped(ch: str) -> bool:
    if _EMOJI_RE.match(ch):
        return True
    cat = unicodedata.category(ch)
    if cat in _DROP_CATEGORIES:
        return True
    return bool(cat == "Cc" and not ch.isspace())


# --- step 5: voice typing and chat -------------------------------------------------

_PUNCT_RUN = re.compile(r"([!?.,;:~、。…])\1+")
_SPOKEN = "零〇洞一幺二两三四五六七八九"
_SPOKEN_DIGIT = dict(zip(_SPOKEN, "00011223456789", strict=True))
# three or more digits said one by one (no 十/百: 一百零五 is a number word, left to cn2an)
_SPOKEN_RUN = re.compile(rf"(?<![十百千万亿门])[0-9{_SPOKEN}]{{3,}}(?![十百千万亿])")  # 门洞 is a unit
# chat words; ASCII words must stand alone (not inside a longer Latin/digit run)
_CHAT_WORDS = [
    (r"thank\s*you|thanks|thx|tks|3q|xiexie|xiexe", "谢谢"),
    (r"ok+|okay|okey|oj8k|okok", "好的"),
    (r"bye\s*bye|byebye|bye|baibai|88+6?", "拜拜"),
    (r"hi|hello|hallo|hey|nihao|nihaoya", "你好"),
    (r"yes|yeah|yep", "是的"),
    (r"no|nope", "不是"),
    (r"sorry|sry", "不好意思"),
    (r"pls|plz|please", "请"),
]
_CHAT_RX = re.compile(
    r"(?<![A-Za-z0-9])(?:" + "|".join(f"(?P<w{i}>{p})" for i, (p, _) in enumerate(_CHAT_WORDS)) + r")(?![A-Za-z0-9])",
    re.I,
)
# number-looking chat words (886, 3q) only where no address/room can follow
_NUMBER_CHAT_TAIL = re.compile(r"[\s!?.,~、。…啦了哈呀啊哦]|$")
_BOUND = r"(?:^|(?<=[\s!?.,;:~、。…]))"
_END = r"(?=[\s!?.,;:~、。…]|$)"
_FILLERS = re.compile(
    r"(?:那个|这个)(?:[\s,、]*(?:那个|这个))+[\s,、]*"  # 那个那个 (repeated, said while thinking)
    + "|"
    + _BOUND
    + r"(?:嗯+|呃+|额+|唔+|就是|那个|然后)"
    + _END
)
_SPACES = re.compile(r"(?<= ) +|^[ ,、]+| +$")


def _rewrite(text: str, rx: re.Pattern[str], repl) -> tuple[str, list[int]]:
    """``rx.sub(repl, text)`` and the map from old to new offsets (len(text) + 1
    entries). A replaced span maps character by character onto its replacement as far
    as the replacement reaches (equal lengths keep spans exact), the rest onto its end."""
    out: list[str] = []
    mapping: list[int] = []
    pos = new = 0
    for m in rx.finditer(text):
        r = repl(m)
        if r is None:
            continue
        for _ in range(pos, m.start()):
            mapping.append(new)
            new += 1
        out.append(text[pos : m.start()])
        for k in range(m.end() - m.start()):
            mapping.append(new + min(k, len(r)))
        out.append(r)
        new += len(r)
        pos = m.end()
    for _ in range(pos, len(text)):
        mapping.append(new)
        new += 1
    out.append(text[pos:])
    mapping.append(new)
    return "".join(out), mapping


def _chat_word(m: re.Match[str]) -> str | None:
    word = m.group(0)
    if word[0].isdigit() and not _NUMBER_CHAT_TAIL.match(m.string, m.end()):
        return None  # 88号楼, 3q... inside something else
    if word.isdigit() and m.start() > 0 and m.string[m.start() - 1] in "楼元室号栋层座#-":
        return None  # 3号楼886: a room, not bye-bye
    for i, (_, zh) in enumerate(_CHAT_WORDS):
        if m.group(f"w{i}") is not None:
            return zh
    return None


def is_chat_word(text: str) -> bool:
    """True if ``text`` is nothing but one chat word of the table (886, 3q, hello)."""
    t = unicodedata.normalize("NFKC", text or "").strip()
    m = _CHAT_RX.fullmatch(t)
    return bool(m and _chat_word(m))


def colloquial_rewrites(text: str) -> tuple[str, list[int]]:
    """Step 5 on an already NFKC'd, Simplified, whitespace-collapsed text; returns the
    new text and the map from old to new offsets."""
    mapping = list(range(len(text) + 1))

    def step(rx: re.Pattern[str], repl) -> None:
        nonlocal text, mapping
        text, m = _rewrite(text, rx, repl)
        mapping = [m[i] for i in mapping]

    step(_PUNCT_RUN, lambda m: m.group(1))
    step(_SPOKEN_RUN, lambda m: "".join(_SPOKEN_DIGIT.get(c, c) for c in m.group(0)))
    step(_CHAT_RX, _chat_word)
    stripped = _FILLERS.sub("", text)
    if _SPACES.sub("", stripped).strip(" ,、!?.~。"):  # something besides fillers is left
        step(_FILLERS, lambda m: " " if m.group(0).endswith(" ") else "")
    step(_SPACES, lambda m: "")
    return text, mapping


def normalize_with_offsets(text: str, max_chars: int = MAX_CHARS, colloquial: bool = True) -> Normalized:
    """Normalise ``text`` and return the new text with an offset map."""
    if text is None:
        text = ""
    # 1+2: per-character drop / NFKC, remembering where each original char went
    pieces: list[str] = []
    starts: list[int] = []
    pos = 0
    for ch in text:
        starts.append(pos)
        if _is_dropped(ch):
            continue
        if ch.isspace():
            out = " "
        else:
            out = unicodedata.normalize("NFKC", ch)
            # NFKC can produce characters we drop (rare); keep only the good ones
            out = "".join(c for c in out if not _is_dropped(c))
            out = "".join(" " if c.isspace() else c for c in out)
        pieces.append(out)
        pos += len(out)
    starts.append(pos)
    stage = "".join(pieces)

    # 3: Traditional -> Simplified. OpenCC converts phrases; almost always this keeps
    # the length. If it does not, convert character by character so offsets hold.
    simp = to_simplified(stage)
    if len(simp) != len(stage):
        conv = _t2s()
        simp = "".join(c2 if len(c2 := conv.convert(c)) == 1 else c for c in stage)

    # 4: collapse whitespace, strip both ends
    keep_index: list[int] = []  # stage index -> output index
    out_chars: list[str] = []
    prev_space = True  # drops leading spaces
    for c in simp:
        if c == " ":
            if prev_space:
                keep_index.append(len(out_chars))
                continue
            prev_space = True
        else:
            prev_space = False
        keep_index.append(len(out_chars))
        out_chars.append(c)
    keep_index.append(len(out_chars))
    if out_chars and out_chars[-1] == " ":
        out_chars.pop()
    result = "".join(out_chars)
    offsets = [min(keep_index[s], len(result)) for s in starts]

    # 5: voice typing and chat
    if colloquial:
        result, remap = colloquial_rewrites(result)
        offsets = [remap[o] for o in offsets]

    # 6: cap length
    if max_chars is not None and len(result) > max_chars:
        result = result[:max_chars].rstrip(" ")
    n = len(result)
    return Normalized(result, [min(o, n) for o in offsets])


def normalize_text(text: str, max_chars: int = MAX_CHARS, colloquial: bool = True) -> str:
    """Normalise ``text`` (see module docstring)."""
    return normalize_with_offsets(text, max_chars, colloquial).text
