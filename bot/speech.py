"""Speech to text for residents' voice messages: a seam for a model plugged in later.

No offline Chinese speech model can be installed on these machines, so `transcribe`
returns None and a voice message is forwarded to the person on call as it is
(bot/handoff.py). To plug one in, set `ENGINE` to a function taking the audio bytes (OGG/Opus,
as Telegram sends voice messages) and returning the text or None; the bot then downloads
the voice message, and a transcript goes to the assistant as if typed.
"""

from collections.abc import Callable

ENGINE: Callable[[bytes], str | None] | None = None


def enabled() -> bool:
    return ENGINE is not None


def transcribe(audio: bytes) -> str | None:
    """The text said in `audio`, or None (no engine, or nothing understood)."""
    if ENGINE is None:
        return None
    text = ENGINE(audio)
    return text.strip() or None if text else None
