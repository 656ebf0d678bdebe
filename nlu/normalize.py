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
5. the result is capped at ``max_chars`` characters (default 5,000).
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


def normalize_with_offsets(text: str, max_chars: int = MAX_CHARS) -> Normalized:
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

    # 5: cap length
    if max_chars is not None and len(result) > max_chars:
        result = result[:max_chars].rstrip(" ")
    n = len(result)

    offsets = [min(keep_index[s], n) for s in starts]
    return Normalized(result, offsets)


def normalize_text(text: str, max_chars: int = MAX_CHARS) -> str:
    """Normalise ``text`` (see module docstring)."""
    return normalize_with_offsets(text, max_chars).text
