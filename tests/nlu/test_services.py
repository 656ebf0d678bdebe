"""Service names for extracted service words (nlu/services.py), fed by the community
spreadsheet's categories (data/community/categories.csv, column 同义词)."""

import csv
import re
from pathlib import Path

from nlu.services import SERVICE_MENU, canonical_service, category_synonyms

ROOT = Path(__file__).resolve().parents[2]


def test_every_category_synonym_maps_to_its_category():
    with (ROOT / "data/community/categories.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for row in rows:
        for word in row["同义词"].split("|"):
            assert canonical_service(word) == row["名称"], word


def test_every_category_synonym_is_in_the_service_lookup_table():
    text = (ROOT / "data/lookups.yml").read_text(encoding="utf-8")
    table = text.split("- lookup: service", 1)[1].split("- lookup:", 1)[0]
    words = set(re.findall(r"^\s+- (\S+)$", table, re.M))
    assert set(category_synonyms()) <= words


def test_colloquial_phrasings_get_a_menu_name():
    assert canonical_service("水管又漏了") == "维修"
    assert canonical_service("取个药") == "陪医"
    assert canonical_service("帮忙拿快递") == "代购"
    assert canonical_service("失眠好几天") == "心理疏导"
    assert canonical_service("做饭") == "家政"  # the spreadsheet's word
    assert canonical_service("晾衣架") is None
    assert set(category_synonyms().values()) <= set(SERVICE_MENU)
