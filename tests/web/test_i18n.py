"""The message catalogue: complete for Simplified Chinese, compiled at run time, negotiated."""

from __future__ import annotations

import re

import pytest

from flowgraph.errors import UsageError
from flowgraph.i18n import catalogue, check_language, negotiate, source_messages, translator


def test_every_text_of_the_code_has_a_chinese_translation():
    zh = catalogue("zh-CN")
    texts = source_messages()
    assert len(texts) > 150
    missing = [t for t in texts if not zh.get(t)]
    assert missing == [], "run scripts/update_catalogue.py and translate these"


def test_placeholders_survive_translation():
    zh = catalogue("zh-CN")
    for text, translated in zh.items():
        assert sorted(re.findall(r"{\w+}", text)) == sorted(re.findall(r"{\w+}", translated)), text


def test_language_choice():
    assert translator("zh-CN")("National flows") == "全国流向"
    assert translator("zh_CN")("Search") == "搜索"
    assert translator("en")("Search") == "Search"
    assert negotiate("zh-TW") == "en"  # traditional Chinese is not this catalogue
    assert negotiate("en-GB,zh-CN;q=0.5") == "en"
    assert negotiate("zh-cn") == "zh-CN"
    with pytest.raises(UsageError, match="language 'fr' is not one of en, zh-CN"):
        check_language("fr")


def english_left(text: str, lang_texts: dict[str, str]) -> list[str]:
    """Catalogue texts (without placeholders) still shown in English in ``text``."""
    left = []
    for english, translated in lang_texts.items():
        if "{" in english or english == translated or not re.search("[A-Za-z]{3}", english):
            continue
        if re.search(rf"(?<![\w/]){re.escape(english)}(?![\w/])", text):
            left.append(english)
    return left


def test_english_left_finds_what_it_should():
    zh = catalogue("zh-CN")
    assert english_left("批号 L1 National flows", zh) == ["National flows"]
    assert english_left("批号 L1 MIXED_CONC receive", zh) == []
