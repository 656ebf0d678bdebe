"""Input checks shared by the lifecycle, the CSV loader and the bot. Each raises
`InvalidInput` with a Chinese message; none of them touches the database."""

import re

import phonenumbers

from community import texts
from community.errors import InvalidInput
from community.settings import get_settings

# Full-width digits and Latin letters (and the ideographic space) become half-width;
# Chinese punctuation such as ，！？（） is left alone, unlike a blanket NFKC.
_HALF_WIDTH = {code: code - 0xFEE0 for code in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
_HALF_WIDTH[0x3000] = 0x20


def normalize_text(value: str | None) -> str:
    """Half-width digits and letters, trimmed, runs of whitespace collapsed. Residents
    type with phone keyboards and voice input."""
    return re.sub(r"\s+", " ", (value or "").translate(_HALF_WIDTH)).strip()


def normalize_phone(raw: str) -> str:
    """A Chinese mobile or landline number in a canonical form: 11 digits for mobiles,
    area code and number joined by a hyphen for landlines. Accepts +86, spaces, dashes."""
    text = normalize_text(raw)
    digits = re.sub(r"[\s\-()（）]", "", text)
    try:
        parsed = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidInput(texts.ERR_BAD_PHONE.format(phone=raw)) from None
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(texts.ERR_BAD_PHONE.format(phone=raw))
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE:
        return re.sub(r"\D", "", national)
    return national.replace(" ", "-", 1).replace(" ", "")


def check_description(raw: str | None) -> str:
    text = normalize_text(raw)
    limit = get_settings().description_max_chars
    if not text:
        raise InvalidInput(texts.ERR_DESCRIPTION_EMPTY)
    if len(text) > limit:
        raise InvalidInput(texts.ERR_DESCRIPTION_TOO_LONG.format(length=len(text), limit=limit))
    return text
