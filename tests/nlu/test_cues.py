"""Cue features for the intent model (nlu/cues.py): a service word no longer decides."""

from nlu.cues import FEATURE_NAMES, intent_cues
from nlu.normalize import normalize_text


def cues(text: str) -> set[str]:
    vec = intent_cues(normalize_text(text))
    assert len(vec) == len(FEATURE_NAMES)
    return {name for name, v in zip(FEATURE_NAMES, vec, strict=True) if v}


def test_cancel_of_a_named_service():
    got = cues("理发的那个我先不约了")
    assert {"cancel", "service", "service+cancel"} <= got


def test_status_of_a_named_service():
    got = cues("修空调的师傅出发了没有")
    assert {"status", "service", "service+status"} <= got


def test_complaint_naming_a_service():
    got = cues("送餐的小伙子态度很差")
    assert {"complain", "service+complain"} <= got


def test_plain_order_has_no_cancel_status_or_complaint_cue():
    got = cues("明天上午来给我修一下水管")
    assert "service" in got
    assert not got & {"cancel", "status", "complain", "service+cancel", "service+status", "service+complain"}


def test_traditional_and_fillers_are_read_after_normalisation():
    got = cues("那個那個 保潔先不用了")
    assert "service+cancel" in got


def test_no_cue_in_a_greeting():
    assert cues("你好") == set()
