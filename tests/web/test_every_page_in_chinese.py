"""Every page, read in Chinese, shows no English of its own: each text it shows is translated
or is the users' data (codes, names, units that someone typed in).

The walk opens every GET page of the app (``tests.web.routes``: a new page is walked the moment
it exists) as the administrator of a company with a little history (``tests.showcase``), in
zh_CN, and reads each page's visible text nodes (and its placeholders and aria labels). A text
is flagged when

1. it is an English message of the catalogue or of the code (``_()`` / ``N_()``) that has a
   Chinese translation of its own, shown untranslated (placeholders match anything);
2. it is, as a whole, a raw code of a closed vocabulary: an item type, a location kind or
   level, an operation, a reason, an audit action, a kind of record, an origin, a field name,
   a role, ``true`` / ``false``, the name a virtual location is given ("Customers"), even
   where it is data (a level typed in as ``zone``);
3. it holds an English word (a word with a lower-case letter, or a ``snake_case`` /
   ``dotted.code``) that is not in the users' data, outside ``<code>``, ``<pre>`` and
   ``<option>`` (formats, file columns and time-zone names are shown as they are written).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from sqlalchemy import String, Text, select

import cangku.web
from cangku.app import create_app
from cangku.db import tables
from cangku.db.uow import Database
from cangku.domain.permissions import declared_actions
from cangku.services.common import Context
from cangku.services.users import create_role
from cangku.settings import Settings
from cangku.web.codes import AUDIT_ACTIONS, FIELDS, LEVELS, ORIGINS, RECORD_TYPES, VIRTUAL_NAMES
from cangku.web.i18n import LABELS, REASONS, ROLES, translations
from tests.factories import build_company
from tests.showcase import sample_history
from tests.web.browsing import Browser, browser, sign_in_as
from tests.web.routes import web_routes

ROUTES = web_routes(create_app(Settings(database_url="sqlite://"), Database("sqlite://")))
#: what the path parameters of the pages are, in the showcase company
VALUES = {"move_id": "1", "item": "FLOUR", "username": "li"}
CODES = {"items": "FLOUR", "partners": "ACME", "locations": "WH1-Z-01", "lots": "F-2401",
         "roles": "custom"}  # fmt: skip
#: pages worth a second look with a query (a list filtered, the virtual locations shown)
EXTRA = ["/locations?virtual=1", "/stock?item=FLOUR", "/audit?action=item.*"]
#: words that read the same in Chinese text: the product's name, formats and standards
SAME_IN_CHINESE = {
    "cangku", "api", "csv", "xlsx", "pdf", "json", "utc", "iso", "gs", "gtin", "qr", "url",
    "fifo", "id", "http", "https", "testclient", "docs", "openapi", "swagger", "redoc",
}  # fmt: skip
#: tables whose text columns are the users' data (not the trail, sessions or keys)
DATA_TABLES = [
    tables.items, tables.item_units, tables.item_barcodes, tables.units, tables.categories,
    tables.warehouses, tables.locations, tables.lots, tables.partners, tables.partner_contacts,
    tables.supplier_items, tables.moves, tables.users, tables.api_tokens, tables.company,
    tables.roles,
]  # fmt: skip
WORD = re.compile(r"[A-Za-z]+(?:[_.][A-Za-z]+)*")
SKIPPED = {"script", "style", "code", "pre", "kbd", "samp", "textarea"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


class _Texts(HTMLParser):
    """The text nodes of a page, each with whether it lies in an element shown as written
    (code, pre, an option); placeholders and aria labels as texts too. What an element marks
    as not to be translated (``translate="no"``, ``lang="en"``: an identifier shown on purpose,
    the name of the English language) is left out."""

    def __init__(self) -> None:
        super().__init__()
        #: the open elements: (tag, whether it is marked not to be translated)
        self.open: list[tuple[str, bool]] = []
        self.texts: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        for name in ("placeholder", "aria-label"):
            if given.get(name):
                self.texts.append((" ".join(str(given[name]).split()), True))
        kept = given.get("translate") == "no" or str(given.get("lang") or "").startswith("en")
        if tag not in VOID:
            self.open.append((tag, kept))

    def handle_endtag(self, tag: str) -> None:
        if any(name == tag for name, _ in self.open):
            while self.open and self.open.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        tags = {tag for tag, _ in self.open}
        if not text or tags & {"script", "style", "title"} or any(k for _, k in self.open):
            return
        self.texts.append((text, bool(tags & SKIPPED) or "option" in tags))


def _english_messages() -> list[re.Pattern[str]]:
    """Every English message with a Chinese translation unlike it, as a whole-text pattern."""
    web = cangku.web.__file__.rsplit("/", 1)[0]
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    chinese = translations("zh_CN").gettext
    patterns = []
    for *_where, message, _comments, _context in extract_from_dir(
        web, method_map, options, keywords={**DEFAULT_KEYWORDS, "N_": None}
    ):
        text = message if isinstance(message, str) else message[0]
        if chinese(text) == text and not re.search(r"[a-z]{3}", text):
            continue  # reads the same in both ("FIFO", "API")
        parts = re.split(r"%\(\w+\)s", text)
        if sum(len(re.findall(r"[A-Za-z]", part)) for part in parts) < 3:
            continue  # nothing but a placeholder and punctuation
        pattern = "(.+?)".join(re.escape(" ".join(part.split())) for part in parts)
        patterns.append(re.compile(pattern))
    return patterns


def _raw_codes() -> set[str]:
    vocabularies: list[Any] = [LABELS, REASONS, ROLES, AUDIT_ACTIONS, RECORD_TYPES, ORIGINS,
                               FIELDS, LEVELS, declared_actions(), VIRTUAL_NAMES]  # fmt: skip
    return {code for vocabulary in vocabularies for code in vocabulary} | {"true", "false"}


@dataclass(frozen=True)
class Data:
    """What users typed in: whole values (a name such as "Administrator" is not a message)
    and their words; with the permission codes, which users type as token scopes."""

    values: frozenset[str]
    words: frozenset[str]


def _data(db: Database) -> Data:
    values: set[str] = set()
    with db.read() as conn:
        for table in DATA_TABLES:
            columns = [c for c in table.c if isinstance(c.type, String | Text)]
            for row in conn.execute(select(*columns)):
                values.update(" ".join(str(v).split()) for v in row if v)
    words = {w.lower() for value in values for w in WORD.findall(value)}
    for code in declared_actions():
        words |= {code, *code.split(".")}
    return Data(frozenset(values), frozenset(words))


def _untranslated(html: str, messages: list[re.Pattern[str]], raw: set[str],
                  data: Data) -> list[str]:  # fmt: skip
    parser = _Texts()
    parser.feed(html)
    found = []
    for text, verbatim in parser.texts:
        if text in raw:  # even where users typed it (a location level "zone")
            found.append(f"raw code: {text!r}")
        elif text in data.values:
            continue
        elif any(message.fullmatch(text) for message in messages):
            found.append(f"English message: {text!r}")
        elif not verbatim:
            words = [w for w in WORD.findall(text) if re.search(r"[a-z_.]", w) and len(w) > 1]
            foreign = [w for w in words if w.lower() not in data.words | SAME_IN_CHINESE]
            if foreign:
                found.append(f"English {foreign} in {text[:80]!r}")
    return found


@pytest.fixture
def showcase(db: Database, database_url: str) -> Iterator[tuple[Browser, Data]]:
    """The administrator, signed in, reading Chinese; the words of the users' data."""
    build_company(db)
    sample_history(db)
    # from the command line: the trail names the origin
    create_role(
        db, Context("admin", origin="cli"), "custom", "质检主管", ["item.view", "lot.status"]
    )
    with browser(db, database_url) as client:
        sign_in_as(client, db)
        client.cookies.set("lang", "zh_CN")
        yield client, _data(db)


def _pages() -> list[str]:
    found = []
    for route in ROUTES:
        if route.method != "GET" or route.public:
            continue
        section = route.path.split("/")[1]
        found.append(route.url({**VALUES, "code": CODES.get(section, "?")}))
    return found + EXTRA


def test_every_page_in_chinese_shows_no_english_of_its_own(
    showcase: tuple[Browser, Data],
) -> None:
    client, data = showcase
    messages, raw = _english_messages(), _raw_codes()
    problems = []
    for url in _pages():
        page = client.get(url)
        assert page.status_code < 500, url
        if not page.headers["content-type"].startswith("text/html"):
            continue  # a label sheet (PDF), a file to download
        problems += [
            f"{url}: {problem}" for problem in _untranslated(page.text, messages, raw, data)
        ]
    assert problems == [], "\n".join(problems)


def test_the_walk_catches_what_it_is_for() -> None:
    """Raw codes, an untranslated message and stray English words are flagged; Chinese, data
    and code samples are not."""
    html = (
        '<td>zone</td><td title="x">user.manage</td><td>item_type</td><td>cli</td>'
        "<dd>true</dd><p>Stock on hand</p><p>Page 2 of 3</p><p>Times are shown here</p>"
        '<p>库存 BOLT Hex bolt</p><code>item,quantity</code><input placeholder="Search">'
        '<td>Administrator</td><a lang="en">English</a><code translate="no">item.view</code>'
    )
    data = Data(frozenset({"Hex bolt", "Administrator", "zone"}), frozenset({"bolt", "hex"}))
    found = _untranslated(html, _english_messages(), _raw_codes(), data)
    assert found == [
        "raw code: 'zone'",
        "raw code: 'user.manage'",
        "raw code: 'item_type'",
        "raw code: 'cli'",
        "raw code: 'true'",
        "English message: 'Stock on hand'",
        "English message: 'Page 2 of 3'",
        "English ['Times', 'are', 'shown', 'here'] in 'Times are shown here'",
        "English message: 'Search'",
    ]
