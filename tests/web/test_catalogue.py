"""Every message the pages show has a Simplified Chinese translation in the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

import cangku.web
from cangku.domain.errors import InsufficientStock, InvalidInput, NotFound
from cangku.domain.reasons import ADJUSTMENT_REASONS, SCRAP_REASONS
from cangku.web.i18n import ERRORS, REASONS, error_message, translations

WEB = Path(cangku.web.__file__).parent
PO = WEB / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"


def _extracted() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {
        "**/templates/**.html": {
            "extensions": "jinja2.ext.i18n",
            "trim_blocks": "True",
            "lstrip_blocks": "True",
        }
    }
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, options, keywords={**DEFAULT_KEYWORDS, "N_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_shown_message_is_translated_to_chinese() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_extracted() - set(translated))
    assert missing == []


def test_every_reason_code_has_a_label() -> None:
    assert set(ADJUSTMENT_REASONS) | set(SCRAP_REASONS) <= set(REASONS)


def test_error_messages_fill_in_their_data() -> None:
    error = InsufficientStock("x", item="BOLT", location="WH1-A", requested="5", available="3")
    assert error_message(error, "zh_CN") == "WH1-A 的 BOLT 库存不足：需要 5，可用 3。"
    assert error_message(error, "en") == (
        "Not enough stock of BOLT at WH1-A: 5 requested, 3 available."
    )
    assert error_message(NotFound("lot", "GLUE/G9"), "zh_CN") == "批次 GLUE/G9 不存在。"


def test_an_unknown_error_code_falls_back_to_the_english_message() -> None:
    error = InvalidInput("something new went wrong", code="brand_new_code")
    assert error_message(error, "zh_CN") == "something new went wrong"


def test_every_error_template_translates_with_the_same_placeholders() -> None:
    chinese = translations("zh_CN")
    for code, template in ERRORS.items():
        target = chinese.gettext(template)
        assert target != template, code
        assert sorted(_names(target)) == sorted(_names(template)), code


def _names(text: str) -> list[str]:
    return re.findall(r"%\((\w+)\)s", text)


def test_the_import_rule_refusals_read_in_chinese() -> None:
    refused = InvalidInput("a issue takes no reason code", code="reason_not_allowed",
                           operation="issue")  # fmt: skip
    assert error_message(refused, "zh_CN") == "issue 操作不需要原因代码，请留空。"
    assert error_message(refused, "en") == "A issue takes no reason code; leave it empty."
    exists = InvalidInput("...", code="opening_stock_exists", item="BOLT", location="WH1-A")
    assert error_message(exists, "zh_CN") == (
        "BOLT 在 WH1-A 的期初库存已按其他数量或金额过账；请用库存调整更正。"
    )
