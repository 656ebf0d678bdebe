"""Rasa 3.6 glue for the pure modules in this package.

Pipeline use (config.yml):

    - name: nlu.components.ChineseTextNormalizer      # first, before the tokenizer
    ...
    - name: EntitySynonymMapper
    - name: nlu.components.ChineseEntityNormalizer    # after all entity extractors
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.address import normalize_address, normalize_phone, normalize_score
from nlu.cues import intent_cues
from nlu.normalize import MAX_CHARS, normalize_text, normalize_with_offsets
from nlu.services import canonical_service
from nlu.slotshape import item_words, slot_shape
from nlu.timeparse import TZ, find_times, parse_time

logger = logging.getLogger(__name__)

# sentence particles: never a service or an item on their own
_PARTICLES = set("了的吗呢吧啊呀哦嘛么啦")
# time words that never schedule anything: now, seasons, "the next day"
_NOT_TIME = re.compile(r"现在|目前|如今|这会儿|春天|夏天|秋天|冬天|第[一二两三四五六七八九十几\d]+天")
# a part of the day followed by 好 is a greeting (早上好, 晚上好)
_PART_OF_DAY = re.compile(r"早上|早晨|上午|中午|下午|晚上|大清早|清早")
# a time mention has one of these (every time span of the training data does)
_TIME_CHARS = re.compile(
    r"[天日周礼拜星期月年点时分早晚午上下夜今明后昨前号半钟儿末宵凌晨傍0-9〇零一二三四五六七八九十两]"
)
_SOON = re.compile(r"尽快|马上|立刻|随时|越快越好|赶紧")
# characters that never make a service or an item on their own
_CONTENT = re.compile(r"[\s个人我你他她来去的了一下点儿这那些们]")
# intents in which a lookup-table word is an activity, not a request
_SMALL_TALK = {"greet", "goodbye", "thank", "affirm", "deny", "out_of_scope", "ask_info", "request_human"}
# a piece DIET labelled "service" that is only day/part-of-day words (礼拜三下午)
_TIME_WORDS = re.compile(
    r"(?:(?:下|这|本|上)?个?(?:周|星期|礼拜)[一二三四五六日天末]?|今天|明天|后天|大后天|明儿个?|后儿个?|今儿个?|"
    r"早上|上午|中午|下午|傍晚|晚上|[0-9一二三四五六七八九十两]+点(?:半|钟)?)+"
)
# 编号3 / 单号 3 / 第3 is a request number, not a rating
_REQUEST_NUMBER = re.compile(r"(编号|单号|号码|第|订单)\s*$")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class ChineseTextNormalizer(GraphComponent):
    """Traditional->Simplified, NFKC (full->half width), no emoji/control
    characters, collapsed whitespace, length cap. Must run before the tokenizer."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"max_chars": MAX_CHARS}

    def __init__(self, config: dict[str, Any]) -> None:
        self._max_chars = int(config.get("max_chars") or MAX_CHARS)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseTextNormalizer:
        return cls(config)

    def _normalize(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text:
            return
        norm = normalize_with_offsets(text, self._max_chars)
        if norm.text == text:
            return
        entities = message.get(ENTITIES)
        if entities:  # training examples: keep annotations on the same words
            new_entities = []
            for ent in entities:
                ent = dict(ent)
                old_span = text[ent[ENTITY_ATTRIBUTE_START] : ent[ENTITY_ATTRIBUTE_END]]
                start, end = norm.map_span(ent[ENTITY_ATTRIBUTE_START], ent[ENTITY_ATTRIBUTE_END])
                if end <= start:
                    continue  # the annotated text was dropped (an emoji) or cut off
                ent[ENTITY_ATTRIBUTE_START], ent[ENTITY_ATTRIBUTE_END] = start, end
                value = ent.get(ENTITY_ATTRIBUTE_VALUE)
                if value is None or value == old_span:
                    ent[ENTITY_ATTRIBUTE_VALUE] = norm.text[start:end]
                elif isinstance(value, str):
                    ent[ENTITY_ATTRIBUTE_VALUE] = normalize_text(value)
                new_entities.append(ent)
            message.set(ENTITIES, new_entities)
        message.set(TEXT, norm.text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalize(message)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class ChineseWordTokenizer(JiebaTokenizer):
    """Rasa's JiebaTokenizer (same user dictionary, same persistence) without the
    whitespace tokens jieba returns for the spaces of voice-typed text.

    A space token is a token DIET must label: it tagged the space and the word after
    it as part of an entity (电视坏了 老人, 推个头 上门), and every such label counts
    against the entity's precision. Entities never start or end on a space, so
    dropping them loses nothing."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        return [t for t in super().tokenize(message, attribute) if t.text.strip()]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SlotShapeFeaturizer(DenseFeaturizer, GraphComponent):
    """A few dense features saying how much of the message is slot values
    (addresses, times, phone numbers, menu names): a bare 3号楼2单元502 is an answer
    (`inform`), the same value inside 明天来3号楼修水管 is a request. See
    nlu/slotshape.py. Meant for the intent classifier; leave it out of DIET's
    ``featurizers`` list."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SlotShapeFeaturizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    def _featurize(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str):
            return
        vec = np.array([slot_shape(text)], dtype=np.float32)
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        seq = np.repeat(vec, max(len(tokens), 1), axis=0)
        self.add_features_to_message(seq, vec, TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._featurize(message)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class IntentCueFeaturizer(SlotShapeFeaturizer):
    """Dense 0/1 cue features (cancel, status, complaint, urge, past tense, rating, wish,
    negation, request words) and their conjunction with "names a service", so that a
    service word no longer makes a cancel, a status question or a complaint an order
    (nlu/cues.py). For the intent classifier; leave it out of DIET's ``featurizers``."""

    def _featurize(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str):
            return
        vec = np.array([intent_cues(text)], dtype=np.float32)
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        seq = np.repeat(vec, max(len(tokens), 1), axis=0)
        self.add_features_to_message(seq, vec, TEXT, message)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RegularisedLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier with the regularisation strength ``C`` as a
    setting (Rasa fixes scikit-learn's default, C=1). With about 26,000 sparse count
    features for 3,400 examples, C=1 holds the weights of rare but telling n-grams
    down too far; cross-validation figures for several values are in nlu/REPORT.md."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class ChineseEntityNormalizer(GraphComponent, EntityExtractorMixin):
    """Writes normalised values into extracted entities (runs after
    EntitySynonymMapper):

    * time: ISO datetime (Asia/Shanghai) as ``value``; start/end/grain in
      ``additional_info``. If no extractor found a time, JioNLP's extractor looks for
      one (entity ``extractor`` is this component's name).
    * address: 3号楼2单元502 form; building/unit/room in ``additional_info``.
    * phone: digits only. score: "1".."5". service: a menu name when the synonym
      table did not know the phrase.
    * duplicates (same type, overlapping spans, two extractors: DIET and the lookup
      tables) are dropped, keeping the first one (DIET's); pieces of one mention that DIET cut in two
      (买点|菜, 明天|下午三点) are joined.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"find_missing_times": True}

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseEntityNormalizer:
        return cls(config)

    @staticmethod
    def _now(message: Message) -> dt.datetime:
        # tests and replays may pin "now" with message metadata {"now": ISO string}
        meta = message.get("metadata") or {}
        now = meta.get("now") if isinstance(meta, dict) else None
        if isinstance(now, str):
            try:
                return dt.datetime.fromisoformat(now)
            except ValueError:
                pass
        return dt.datetime.now(TZ)

    def _normalize_entity(self, ent: dict[str, Any], text: str, now: dt.datetime) -> None:
        etype = ent.get(ENTITY_ATTRIBUTE_TYPE)
        span = text[ent.get(ENTITY_ATTRIBUTE_START, 0) : ent.get(ENTITY_ATTRIBUTE_END, 0)]
        raw = span or str(ent.get(ENTITY_ATTRIBUTE_VALUE) or "")
        if etype == "time":
            parsed = parse_time(raw, now)
            if parsed is not None:
                ent[ENTITY_ATTRIBUTE_VALUE] = parsed.value
                ent["additional_info"] = parsed.as_dict()
        elif etype == "address":
            addr = normalize_address(raw)
            if addr is not None:
                ent[ENTITY_ATTRIBUTE_VALUE] = addr.value
                ent["additional_info"] = {
                    "building": addr.building,
                    "unit": addr.unit,
                    "room": addr.room,
                    "prefix": addr.prefix,
                }
        elif etype == "phone":
            phone = normalize_phone(raw)
            if phone is not None:
                ent[ENTITY_ATTRIBUTE_VALUE] = phone
        elif etype == "score":
            score = normalize_score(raw)
            if score is not None:
                ent[ENTITY_ATTRIBUTE_VALUE] = str(score)
        elif etype == "service":
            service = canonical_service(str(ent.get(ENTITY_ATTRIBUTE_VALUE) or raw))
            if service is not None:
                ent[ENTITY_ATTRIBUTE_VALUE] = service

    @staticmethod
    def _drop_overlaps(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """DIET and the lookup tables (RegexEntityExtractor) often find the same
        mention with different bounds (修水管 / 水管). Keep the first one found, in
        pipeline order (DIET runs first): an entity is dropped when an earlier entity
        of the same type from another extractor overlaps it. Lookup-table service/item
        mentions also give way to an overlapping mention of another type (below)."""
        kept: list[dict[str, Any]] = []
        for ent in entities:
            s, e = ent.get(ENTITY_ATTRIBUTE_START, 0), ent.get(ENTITY_ATTRIBUTE_END, 0)
            if any(
                k.get(ENTITY_ATTRIBUTE_TYPE) == ent.get(ENTITY_ATTRIBUTE_TYPE)
                and k.get("extractor") != ent.get("extractor")
                and k.get(ENTITY_ATTRIBUTE_START, 0) < e
                and s < k.get(ENTITY_ATTRIBUTE_END, 0)
                for k in kept
            ):
                continue
            kept.append(ent)
        # a lookup-table service/item inside a mention DIET found of another type
        # (DIET item 洗澡凳, lookup service 洗澡; DIET service 修电视, lookup item 电视)
        # is dropped; of two overlapping lookup mentions the longer is kept
        lookup = "RegexEntityExtractor"
        out: list[dict[str, Any]] = []
        for ent in kept:
            if ent.get("extractor") == lookup and ent.get(ENTITY_ATTRIBUTE_TYPE) in ("service", "item"):
                s, e = ent.get(ENTITY_ATTRIBUTE_START, 0), ent.get(ENTITY_ATTRIBUTE_END, 0)
                beaten = False
                for k in kept:
                    if k is ent or not (k.get(ENTITY_ATTRIBUTE_START, 0) < e and s < k.get(ENTITY_ATTRIBUTE_END, 0)):
                        continue
                    if k.get("extractor") != lookup:
                        beaten = True
                    elif k.get(ENTITY_ATTRIBUTE_TYPE) in ("service", "item"):
                        k_len = k.get(ENTITY_ATTRIBUTE_END, 0) - k.get(ENTITY_ATTRIBUTE_START, 0)
                        if k_len > e - s or (k_len == e - s and kept.index(k) < kept.index(ent)):
                            beaten = True
                    if beaten:
                        break
                if beaten:
                    continue
            out.append(ent)
        return out

    @staticmethod
    def _only_particles(ent: dict[str, Any], text: str) -> bool:
        """A service or item "mention" that is only 了, 的, 吗 ...: DIET sometimes tags the
        particle after a fault (热水器不出热水|了) without the words before it. Such a
        value would only confuse the form, so it is dropped."""
        if ent.get(ENTITY_ATTRIBUTE_TYPE) not in ("service", "item"):
            return False
        span = text[ent.get(ENTITY_ATTRIBUTE_START, 0) : ent.get(ENTITY_ATTRIBUTE_END, 0)]
        return not any(ch.isalnum() and ch not in _PARTICLES for ch in span)

    @staticmethod
    def _merge_adjacent(entities: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
        """DIET sometimes cuts one mention in two (买点|菜): join same-type entities of
        the same extractor that touch or are separated only by spaces."""
        out: list[dict[str, Any]] = []
        for ent in sorted(entities, key=lambda e: (e.get(ENTITY_ATTRIBUTE_START, 0), e.get(ENTITY_ATTRIBUTE_END, 0))):
            prev = out[-1] if out else None
            if (
                prev is not None
                and prev.get(ENTITY_ATTRIBUTE_TYPE) == ent.get(ENTITY_ATTRIBUTE_TYPE)
                and prev.get("extractor") == ent.get("extractor")
                and ent.get(ENTITY_ATTRIBUTE_TYPE) in ("item", "service", "address", "time", "phone")
                and prev.get(ENTITY_ATTRIBUTE_END, 0) <= ent.get(ENTITY_ATTRIBUTE_START, 0)
                and not text[prev.get(ENTITY_ATTRIBUTE_END, 0) : ent.get(ENTITY_ATTRIBUTE_START, 0)].strip()
                and not (
                    ent.get(ENTITY_ATTRIBUTE_TYPE) == "service"
                    and _TIME_WORDS.fullmatch(
                        text[ent.get(ENTITY_ATTRIBUTE_START, 0) : ent.get(ENTITY_ATTRIBUTE_END, 0)].strip()
                    )
                )
            ):
                prev[ENTITY_ATTRIBUTE_END] = ent[ENTITY_ATTRIBUTE_END]
                prev[ENTITY_ATTRIBUTE_VALUE] = text[prev[ENTITY_ATTRIBUTE_START] : prev[ENTITY_ATTRIBUTE_END]]
                if "confidence_entity" in prev and "confidence_entity" in ent:
                    prev["confidence_entity"] = min(prev["confidence_entity"], ent["confidence_entity"])
                prev.pop("processors", None)
                continue
            out.append(ent)
        return out

    @staticmethod
    def _not_a_mention(ent: dict[str, Any], text: str, intent: str | None) -> bool:
        """Mentions that are not slot values whoever found them (each rule is a
        convention of data/nlu.yml, see nlu/REPORT.md):

        * a part of the day in a greeting (早上好, 晚上好) or 现在/seasons/第二天: no time;
        * a score that reads as no rating (评个分 → 分) or is a request number (编号3);
        * a one-character service the menu does not know (陪, 闷);
        * any service or item in `register_volunteer`: skills are not requests.
        """
        etype = ent.get(ENTITY_ATTRIBUTE_TYPE)
        start, end = ent.get(ENTITY_ATTRIBUTE_START, 0), ent.get(ENTITY_ATTRIBUTE_END, 0)
        span = text[start:end]
        if etype == "time":
            if _NOT_TIME.fullmatch(span.strip()):
                return True
            if not _TIME_CHARS.search(span) and not _SOON.search(span):
                return True  # 整个: no day, hour or part-of-day word in it
            return bool(_PART_OF_DAY.fullmatch(span.strip()) and text[end : end + 1] == "好")
        if etype == "score":
            if normalize_score(span) is None:
                return True
            return bool(_REQUEST_NUMBER.search(text[max(0, start - 3) : start]))
        if etype in ("service", "item") and intent == "register_volunteer":
            return True
        if etype in ("service", "item") and not _CONTENT.sub("", span):
            return True  # only function words: 个人, 来个人
        if etype in ("service", "item") and intent in _SMALL_TALK and ent.get("extractor") == "RegexEntityExtractor":
            return True  # a lookup word in 我去做饭了 (goodbye) is an activity, not a request
        if etype == "service":
            return len(span.strip()) <= 1 and canonical_service(span) is None
        if etype == "item":
            s = span.strip()
            unknown = s not in item_words()
            return unknown and (len(s) <= 1 or (len(s) == 2 and s[0] == s[1]))  # 坐, 测测
        if etype == "phone" and len(re.sub(r"\D", "", span)) < 5:  # 打分 4: no phone number
            if intent == "rate_service" and normalize_score(span) is not None:
                ent[ENTITY_ATTRIBUTE_TYPE] = "score"
                return False
            return True
        return False

    @staticmethod
    def _same_service_twice(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A lookup-table service whose menu name another service entity of the message
        already has (找个陪诊的 后儿个去医院: 去医院 is 陪医 again) adds nothing. Runs on
        normalised values; mentions of other extractors come first."""
        lookup = "RegexEntityExtractor"
        seen = {
            e.get(ENTITY_ATTRIBUTE_VALUE)
            for e in entities
            if e.get(ENTITY_ATTRIBUTE_TYPE) == "service" and e.get("extractor") != lookup
        }
        out = []
        for ent in entities:
            if ent.get(ENTITY_ATTRIBUTE_TYPE) == "service" and ent.get("extractor") == lookup:
                if ent.get(ENTITY_ATTRIBUTE_VALUE) in seen:
                    continue
                seen.add(ent.get(ENTITY_ATTRIBUTE_VALUE))
            out.append(ent)
        return out

    @staticmethod
    def _split_trailing_time(entities: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
        """DIET's 钟点工 礼拜三下午 as one service: the time words after the last space
        are a time of their own."""
        out = []
        for ent in entities:
            out.append(ent)
            if ent.get(ENTITY_ATTRIBUTE_TYPE) != "service":
                continue
            start, end = ent.get(ENTITY_ATTRIBUTE_START, 0), ent.get(ENTITY_ATTRIBUTE_END, 0)
            cut = text.rfind(" ", start, end)
            if cut <= start or not _TIME_WORDS.fullmatch(text[cut + 1 : end]):
                continue
            head_end = cut
            while head_end > start and text[head_end - 1] == " ":
                head_end -= 1
            ent[ENTITY_ATTRIBUTE_END] = head_end
            ent[ENTITY_ATTRIBUTE_VALUE] = text[start:head_end]
            ent.pop("processors", None)
            out.append(
                {
                    **{k: v for k, v in ent.items() if k not in ("processors",)},
                    ENTITY_ATTRIBUTE_TYPE: "time",
                    ENTITY_ATTRIBUTE_START: cut + 1,
                    ENTITY_ATTRIBUTE_END: end,
                    ENTITY_ATTRIBUTE_VALUE: text[cut + 1 : end],
                }
            )
        return out

    @staticmethod
    def _time_not_service(ent: dict[str, Any], text: str, now: dt.datetime) -> None:
        """A "service" that is all time expression (DIET's 礼拜三下午 after 钟点工) is a time."""
        if ent.get(ENTITY_ATTRIBUTE_TYPE) != "service":
            return
        span = text[ent.get(ENTITY_ATTRIBUTE_START, 0) : ent.get(ENTITY_ATTRIBUTE_END, 0)].strip()
        if not span or canonical_service(span) is not None:
            return
        found = find_times(span, now)
        if found and sum(f.end - f.start for f in found) >= len(span) - 1:
            ent[ENTITY_ATTRIBUTE_TYPE] = "time"
            ent[ENTITY_ATTRIBUTE_VALUE] = span

    @staticmethod
    def _item_not_service(ent: dict[str, Any], text: str) -> None:
        """A household object tagged as a service (晾衣架) becomes an item when the
        item lexicon knows it and the service menu does not."""
        if ent.get(ENTITY_ATTRIBUTE_TYPE) != "service":
            return
        span = text[ent.get(ENTITY_ATTRIBUTE_START, 0) : ent.get(ENTITY_ATTRIBUTE_END, 0)].strip()
        if span in item_words() and canonical_service(span) is None:
            ent[ENTITY_ATTRIBUTE_TYPE] = "item"
            ent[ENTITY_ATTRIBUTE_VALUE] = span

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get("intent") or {}).get("name")
            entities = [dict(e) for e in message.get(ENTITIES, [])]
            for ent in entities:
                self._item_not_service(ent, text)
            entities = self._drop_overlaps(entities)
            entities = self._merge_adjacent(entities, text)
            entities = self._split_trailing_time(entities, text)
            entities = [e for e in entities if not self._only_particles(e, text)]
            entities = [e for e in entities if not self._not_a_mention(e, text, intent)]
            now = self._now(message)
            for ent in entities:
                self._time_not_service(ent, text, now)
            seen = set()
            kept: list[dict[str, Any]] = []
            for ent in entities:
                key = (
                    ent.get(ENTITY_ATTRIBUTE_TYPE),
                    ent.get(ENTITY_ATTRIBUTE_START),
                    ent.get(ENTITY_ATTRIBUTE_END),
                )
                if key in seen:
                    continue
                seen.add(key)
                try:
                    self._normalize_entity(ent, text, now)
                except Exception:  # never let a value parser break a parse
                    logger.exception("could not normalise entity %r", ent)
                kept.append(ent)
            if (
                self._config.get("find_missing_times", True)
                and text
                and not any(e.get(ENTITY_ATTRIBUTE_TYPE) == "time" for e in kept)
            ):
                kept.extend(self._missing_times(text, now, kept))
            kept = self._same_service_twice(kept)
            message.set(ENTITIES, kept, add_to_output=True)
        return messages

    def _missing_times(self, text: str, now: dt.datetime, others: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = []
        for ft in find_times(text, now):
            overlaps = any(
                ft.start < o.get(ENTITY_ATTRIBUTE_END, 0) and o.get(ENTITY_ATTRIBUTE_START, 0) < ft.end for o in others
            )
            if overlaps:
                continue
            span = text[ft.start : ft.end].strip()
            if _NOT_TIME.fullmatch(span) or (_PART_OF_DAY.fullmatch(span) and text[ft.end : ft.end + 1] == "好"):
                continue
            ent = {
                ENTITY_ATTRIBUTE_TYPE: "time",
                ENTITY_ATTRIBUTE_START: ft.start,
                ENTITY_ATTRIBUTE_END: ft.end,
                ENTITY_ATTRIBUTE_VALUE: ft.parsed.value,
                "additional_info": ft.parsed.as_dict(),
                "confidence_entity": 1.0,
            }
            found.append(self.add_extractor_name([ent])[0])
        return found
