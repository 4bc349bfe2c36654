"""The analysis report pages (issue 15) on a small ledger whose figures are worked out by hand:
each report's table for a warehouse manager; the index; a bad filter showing the page again
with the message in the page's language (never a 500); the downloads in the page's language;
the chart without style; a user without valuation.view refused as every page refuses; every
text a report shows has its Chinese.

The ledger (the company's zone is UTC; n days ago at 10:00):

- 40 days ago: 100 BOLT received into WH1-A at 1.00; 30 days ago: 50 BOLT at 2.00 and 40 kg
  FLOUR (lot F1) into WH1-B at 1.50;
- 10 days ago: 120 BOLT issued to a customer (FIFO: 100 x 1.00 + 20 x 2.00 = 140.00);
- 5 days ago: 10 kg FLOUR issued to production (15.00).

Now: 30 BOLT at 2.00 = 60.00 and 30 kg FLOUR at 1.50 = 45.00, 105.00 in all (57.14 % and
42.86 %).
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from cangku.db.uow import Database
from cangku.queries.reports import REPORTS, read_query, run_report
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from cangku.services.users import create_user
from cangku.web.i18n import ERRORS, label, translations
from cangku.web.reports import CHOICE_LABELS, NOTE_VALUES, translator
from tests import snapshot
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, sign_in_as
from tests.web.test_every_page_in_chinese import _data, _english_messages, _raw_codes, _untranslated
from tests.web.test_outbound_pages import _error, _rows

TODAY = datetime.now(UTC).date()


def days_ago(n: int) -> datetime:
    day = TODAY - timedelta(days=n)
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def day(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


@pytest.fixture
def site(db: Database, database_url: str) -> Iterator[tuple[Browser, Database]]:
    """The ledger above; boss (warehouse manager) and picker (picker / shipper) everywhere."""
    build_company(db)
    receive_stock(
        db, CTX, Receive("BOLT", "100", "WH1-A", unit_cost="1", effective_at=days_ago(40))
    )
    receive_stock(db, CTX, Receive("BOLT", "50", "WH1-A", unit_cost="2", effective_at=days_ago(30)))
    receive_stock(
        db, CTX,
        Receive("FLOUR", "40", "WH1-B", lot="F1", unit_cost="1.5", effective_at=days_ago(30)),
    )  # fmt: skip
    issue_stock(db, CTX, Issue("BOLT", "120", "WH1-A", effective_at=days_ago(10)))
    issue_stock(
        db, CTX, Issue("FLOUR", "10", "WH1-B", lot="F1", to="production", effective_at=days_ago(5))
    )  # fmt: skip
    with browser(db, database_url) as client:
        for name, role in [("boss", "warehouse_manager"), ("picker", "picker_shipper")]:
            create_user(db, CTX, name, name.title(), PASSWORD, [(role, None)])
        yield client, db


def _as(client: Browser, db: Database, username: str = "boss", lang: str = "en") -> Browser:
    sign_in_as(client, db, username)
    client.cookies.set("lang", lang)
    return client


def _totals(page: str) -> list[str]:
    foot = re.search(r'<table[^>]*id="report-table".*?<tfoot>(.*?)</tfoot>', page, re.S)
    assert foot is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", foot.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells]


def _headings(page: str) -> list[str]:
    head = re.search(r'<table[^>]*id="report-table".*?<thead>(.*?)</thead>', page, re.S)
    assert head is not None
    return [html.unescape(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", head.group(1), re.S)]


def test_the_stock_value_page_shows_the_value_worked_out_by_hand(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    boss = _as(client, db)
    page = boss.get("/reports/stock-value")
    assert page.status_code == 200
    assert _headings(page.text) == [
        "Item", "Name", "Unit", "Quantity", "Unit cost", "Value", "Share"
    ]  # fmt: skip
    assert _rows(page.text, "report-table") == [
        ["BOLT", "Hex bolt M8", "pcs", "30", "CN¥2.0000", "CN¥60.00", "57.14 %"],
        ["FLOUR", "Wheat flour", "kg", "30", "CN¥1.5000", "CN¥45.00", "42.86 %"],
    ]
    assert _totals(page.text) == ["Total", "", "", "", "", "CN¥105.00", "100.00 %"]
    # as of the end of 20 days ago: 100 BOLT at 1.00 + 50 at 2.00, 40 kg FLOUR at 1.50
    by_type = boss.get(f"/reports/stock-value?group=type&at={day(20)}")
    assert _rows(by_type.text, "report-table") == [
        ["Spare part", "1", "CN¥200.00", "76.92 %"],
        ["Raw material", "1", "CN¥60.00", "23.08 %"],
    ]
    assert f"As of the end of {day(20)}" in by_type.text


def test_the_value_movement_page_adds_up_opening_flows_and_closing(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    page = _as(client, db).get(f"/reports/value-movement?start={day(35)}&end={day(0)}")
    assert page.status_code == 200
    headings = _headings(page.text)
    rows = [dict(zip(headings, row, strict=True)) for row in _rows(page.text, "report-table")]
    # opening (end of 36 days ago): 100 BOLT at 1.00; then 50 BOLT and 40 kg FLOUR received
    assert [(r["Item"], r["Opening value"], r["Received"], r["Issued"], r["Closing value"],
             r["Cost of goods issued"]) for r in rows] == [
        ("BOLT", "CN¥100.00", "CN¥100.00", "CN¥140.00", "CN¥60.00", "CN¥140.00"),
        ("FLOUR", "CN¥0.00", "CN¥60.00", "CN¥15.00", "CN¥45.00", "CN¥15.00"),
    ]  # fmt: skip
    totals = dict(zip(headings, _totals(page.text), strict=True))
    assert (totals["Opening value"], totals["Closing value"], totals["Cost of goods issued"]) == (
        "CN¥100.00", "CN¥105.00", "CN¥155.00",
    )  # fmt: skip
    assert f"Period: {day(35)} to {day(0)}" in page.text


def test_the_turnover_page_averages_eleven_day_ends(site: tuple[Browser, Database]) -> None:
    """Over the last 10 days: the opening (end of 10 days ago: 60.00 BOLT + 60.00 FLOUR), 9 day
    ends and now: BOLT 60.00 at each of the 11; FLOUR 60.00 at 5, 45.00 at 6 (570.00, average
    51.82). FLOUR's turnover 15.00 x 11 / 570.00 = 0.29, days 570 x 10 / (15 x 11) = 34.5,
    supply 45.00 x 10 / 15.00 = 30.0; in all 15 x 11 / 1,230 = 0.13."""
    client, db = site
    page = _as(client, db).get(f"/reports/turnover?start={day(9)}&end={day(0)}")
    assert page.status_code == 200
    assert _rows(page.text, "report-table") == [
        ["FLOUR", "Wheat flour", "kg", "CN¥15.00", "CN¥60.00", "CN¥45.00", "CN¥51.82", "0.29",
         "34.5", "30.0"],
        ["BOLT", "Hex bolt M8", "pcs", "CN¥0.00", "CN¥60.00", "CN¥60.00", "CN¥60.00", "0.00",
         "–", "–"],
    ]  # fmt: skip
    assert _totals(page.text) == [
        "Total", "", "", "CN¥15.00", "CN¥120.00", "CN¥105.00", "CN¥111.82", "0.13", "", ""
    ]  # fmt: skip
    assert "Average of 11 points, method: each day&#39;s end" in page.text


def test_the_trends_page_shows_each_day_and_the_opening(site: tuple[Browser, Database]) -> None:
    client, db = site
    page = _as(client, db).get(f"/reports/trends?start={day(11)}&end={day(9)}&interval=day")
    assert page.status_code == 200
    assert _rows(page.text, "report-table") == [
        [day(11), day(11), "CN¥0.00", "CN¥0.00", "CN¥260.00"],
        [day(10), day(10), "CN¥0.00", "CN¥140.00", "CN¥120.00"],
        [day(9), day(9), "CN¥0.00", "CN¥0.00", "CN¥120.00"],
    ]
    assert _totals(page.text) == ["Total", "", "CN¥0.00", "CN¥140.00", ""]
    assert "Opening value CN¥260.00" in page.text


def test_the_structure_page_in_chinese_names_the_types_and_their_shares(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    page = _as(client, db, lang="zh_CN").get(f"/reports/structure?compare={day(20)}")
    assert page.status_code == 200
    assert _headings(page.text) == [
        "物料类型", "数量", "数量占比", "对比日金额", "对比日占比", "金额", "金额占比", "金额变化",
        "占比变化",
    ]  # fmt: skip
    assert _rows(page.text, "report-table") == [
        ["备品备件", "30", "50.00 %", "¥200.00", "76.92 %", "¥60.00", "57.14 %", "-¥140.00",
         "-19.78 %"],
        ["原材料", "30", "50.00 %", "¥60.00", "23.08 %", "¥45.00", "42.86 %", "-¥15.00",
         "19.78 %"],
    ]  # fmt: skip
    assert f"对比日：{day(20)}" in page.text


def test_the_index_lists_the_reports_the_user_may_read(site: tuple[Browser, Database]) -> None:
    client, db = site
    page = _as(client, db).get("/reports")
    assert page.status_code == 200
    listed = re.findall(r'<a href="/reports/([a-z-]+)">', page.text)
    assert listed == list(REPORTS)
    assert '<a href="/reports"' in _as(client, db).get("/").text  # the menu names them
    picker = _as(client, db, "picker").get("/reports")
    assert picker.status_code == 200
    valued = [n for n, spec in REPORTS.items() if spec.permission == "valuation.view"]
    assert set(re.findall(r'<a href="/reports/([a-z-]+)">', picker.text)) & set(valued) == set()


def test_a_user_without_valuation_view_is_refused_every_report_and_nothing_is_written(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    picker = _as(client, db, "picker")
    before = snapshot.state(db)
    for name in [n for n, spec in REPORTS.items() if spec.permission == "valuation.view"]:
        for url in (f"/reports/{name}", f"/reports/{name}/export?format=csv",
                    f"/charts/reports/{name}.svg"):  # fmt: skip
            refused = picker.get(url)
            assert refused.status_code == 403, url
            assert "it needs the permission valuation.view" in refused.text, url
            assert "CN¥" not in refused.text, url
    assert snapshot.state(db) == before


def test_an_unknown_warehouse_shows_the_page_again_with_404_in_chinese(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    page = _as(client, db, lang="zh_CN").get("/reports/stock-value?warehouse=NOPE&group=warehouse")
    assert page.status_code == 404
    assert _error(page.text) == "仓库 NOPE 不存在。"
    assert 'id="report-filters"' in page.text and 'id="report-table"' not in page.text
    assert '<option value="warehouse" selected>仓库</option>' in page.text


def test_a_bad_period_or_option_shows_the_page_again_with_422(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    boss = _as(client, db)
    for url, message in [
        (f"/reports/value-movement?start={day(1)}&end={day(5)}",
         f"The period starts on {day(1)}, after its end on {day(5)}."),
        ("/reports/turnover?start=2026-13-01", "From: enter a day as YYYY-MM-DD."),
        ("/reports/trends?start=2000-01-01&end=2009-12-31&interval=day",
         "A trend shows at most 400 intervals: choose a longer interval or a shorter period."),
        ("/reports/trends?start=1990-01-01&end=2020-01-01", "A period covers at most 3700 days."),
        ("/reports/stock-value?group=colour",
         "Group by is one of: Item, Category, Item type, Warehouse, Location."),
        (f"/reports/structure?at={day(3)}&compare={day(2)}",
         f"Compare with a day before {day(3)} ({day(2)} is not)."),
        ("/reports/structure/export?format=pdf", "This report is downloaded as one of: csv, xlsx."),
    ]:  # fmt: skip
        page = boss.get(url)
        assert (page.status_code, _error(page.text)) == (422, message), url
        assert 'id="report-filters"' in page.text
    chinese = _as(client, db, lang="zh_CN")
    page = chinese.get(f"/reports/value-movement?start={day(1)}&end={day(5)}")
    assert (page.status_code, _error(page.text)) == (
        422, f"期间的起始日 {day(1)} 晚于截止日 {day(5)}。"
    )  # fmt: skip
    page = chinese.get("/reports/trends?interval=year")
    assert (page.status_code, _error(page.text)) == (422, "时间间隔 只能是以下之一：月, 周, 日。")


def test_the_downloads_hold_the_figures_with_headers_in_the_page_language(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    chinese = _as(client, db, lang="zh_CN")
    answer = chinese.get("/reports/stock-value/export?format=csv&group=warehouse")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="stock-value-now.csv"' in answer.headers["content-disposition"]
    lines = [row for row in csv.reader(io.StringIO(answer.text.lstrip("\ufeff")))
             if row and not row[0].startswith("#")]  # fmt: skip
    assert lines == [
        ["仓库", "名称", "物料数", "金额", "占比"],
        ["WH1", "Main warehouse", "2", "105", "100.00"],
        ["合计", "", "", "105", "100.00"],
    ]
    media = {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf": "application/pdf",
    }
    for fmt, media_type in media.items():
        answer = chinese.get(f"/reports/turnover/export?format={fmt}&start={day(9)}")
        assert answer.status_code == 200, fmt
        assert answer.headers["content-type"] == media_type, fmt
        assert answer.content[:4] in (b"PK\x03\x04", b"%PDF"), fmt


def test_the_chart_is_svg_without_style(site: tuple[Browser, Database]) -> None:
    client, db = site
    boss = _as(client, db, lang="zh_CN")
    for name in REPORTS:
        for size in ("wide", "narrow"):
            chart = boss.get(f"/charts/reports/{name}.svg?size={size}&start={day(30)}")
            assert chart.status_code == 200, name
            assert chart.headers["content-type"] == "image/svg+xml", name
            assert chart.text.lstrip().startswith("<?xml") or "<svg" in chart.text[:400], name
            assert "<style" not in chart.text and "style=" not in chart.text, name
    assert boss.get("/charts/reports/trends.svg?size=huge").status_code == 422


def test_every_report_page_in_chinese_shows_no_english_of_its_own(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    chinese = _as(client, db, lang="zh_CN")
    messages, raw, data = _english_messages(), _raw_codes(), _data(db)
    problems = []
    for name, spec in REPORTS.items():
        for option in spec.options:
            for choice in option.choices or (str(option.default),):
                url = f"/reports/{name}?{option.name}={choice}&start={day(35)}"
                page = chinese.get(url)
                assert page.status_code == 200, url
                problems += [f"{url}: {p}" for p in _untranslated(page.text, messages, raw, data)]
    assert problems == []


def test_every_text_a_report_shows_has_its_chinese(db: Database) -> None:
    """Titles, descriptions, options and their choices, column titles, definitions and notes
    (run on an empty company with every choice), the error messages of the reports."""
    build_company(db)
    translate = translator("zh_CN")
    texts: set[str] = set()
    for spec in REPORTS.values():
        texts |= {spec.title, spec.description, *(o.label for o in spec.options)}
        texts |= {CHOICE_LABELS[c] for o in spec.options for c in o.choices}
        for option in spec.options:
            for choice in option.choices or (str(option.default),):
                with db.read() as conn:
                    query = read_query(conn, spec, {option.name: choice}, datetime.now(UTC))
                    report = run_report(conn, query)
                texts |= {report.title, *(c.label for c in report.columns), *report.definitions}
                texts |= {message for message, _ in report.notes}
                for k, column in enumerate(report.columns):
                    values = {row[k] for row in report.rows if row[k]}
                    if column.kind == "message":
                        texts |= values
                    if column.kind == "label":
                        assert all(label(v, "zh_CN") != v for v in values), column.key
    texts |= set(NOTE_VALUES.values())
    codes = ["invalid_report_date", "period_reversed", "period_too_long", "invalid_report_option",
             "too_many_intervals", "compare_not_before", "report_format_not_offered"]  # fmt: skip
    texts |= {ERRORS[code] for code in codes}
    # what reads the same in Chinese ("ABC", "XYZ") has no lower-case letter
    untranslated = sorted(t for t in texts if translate(t) == t and re.search("[a-z]", t))
    assert untranslated == []
    assert translations("zh_CN").gettext("Stock value") == "库存金额"


def test_the_key_figures_page_shows_each_figure_with_its_unit_and_report(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    page = _as(client, db, lang="zh_CN").get(f"/reports/kpis?start={day(9)}&end={day(0)}")
    assert page.status_code == 200
    # the key and unit columns are the API's: the page shows the unit with the figure
    assert _headings(page.text) == ["指标", "数值", "报表"]
    rows = {row[0]: row[1:] for row in _rows(page.text, "report-table")}
    # 105.00 in stock; turnover as the turnover report's total: 0.13
    assert rows["库存金额"] == ["¥105.00", "库存金额"]
    assert rows["周转率"] == ["0.13 次", "库存周转率与库存天数"]
    assert '<a href="/reports/turnover">' in page.text


def test_the_dashboard_links_the_key_figures_for_those_who_may_read_them(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    boss = _as(client, db, lang="zh_CN")
    page = boss.get("/")
    assert 'href="/reports/kpis" id="kpi-card"' in page.text
    assert "关键指标" in page.text
    figures = boss.get("/reports/kpis")
    assert figures.status_code == 200
    picker = _as(client, db, "picker")
    assert 'id="kpi-card"' not in picker.get("/").text
