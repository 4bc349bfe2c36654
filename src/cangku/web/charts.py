"""Charts: SVG images drawn on the server with matplotlib (ADR 0019).

A chart is an ``<img src="....svg">`` on the page, answered by a route here with the
same sign-in and permission as the page that shows it. Nothing runs in the browser and nothing
is loaded from elsewhere, so the pages keep their strict CSP; the SVG itself carries no
``<style>`` element and no ``style`` attribute either (matplotlib's inline styles are turned
into SVG presentation attributes), so it renders under the same policy wherever it is opened.

Drawing uses matplotlib's object-oriented API only (a ``Figure`` per request, saved through
the SVG canvas; never ``pyplot``'s global figures), so requests in parallel threads do not
share a figure. Text stays text (``svg.fonttype: none``): the browser sets it in the page's
own fonts, Chinese included; matplotlib measures it with DejaVu Sans and, for the characters
that font lacks, with the Last Resort font it ships (every code point, one em wide: about
right for CJK), so no glyph is reported missing.

Amounts are shown as the pages show them (``web.display``): money in the company currency,
times in the user's zone, labels in the page's language.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import matplotlib
from babel.dates import format_skeleton
from babel.numbers import format_compact_currency, format_compact_decimal
from fastapi import Query, Request
from fastapi.responses import Response
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from cangku.domain.errors import InvalidInput
from cangku.queries.items import get_item
from cangku.queries.series import Point, check_days, day_ends, month_ends
from cangku.queries.series import on_hand_series as read_on_hand_series
from cangku.queries.series import value_series as read_value_series
from cangku.routing import SegmentRouter
from cangku.services.common import utcnow
from cangku.services.stock import STOCK_VIEW, VALUATION_VIEW
from cangku.web.access import WebUser, page
from cangku.web.display import Shown, display_of, unit_symbol
from cangku.web.i18n import N_
from cangku.web.render import PageRoute, db_of, gettext_for, language

__all__ = ["LineChart", "figure_svg", "line_svg", "router"]

# Set once for the process (matplotlib reads these when it writes an SVG): never changed per
# request, so threads drawing at the same time see the same values.
_MEASURED_WITH = ["DejaVu Sans", "Last Resort High-Efficiency"]
matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",
        "svg.hashsalt": "cangku",  # the same chart gives the same SVG (ids are hashes)
        "font.family": _MEASURED_WITH,
        "font.size": 10,
        "axes.unicode_minus": False,
    }
)
#: the page's own font stack (cangku.css), which the browser sets the chart's text in
PAGE_FONTS = (
    'system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
)
INK, MUTED, LINE, ACCENT = "#1f2933", "#66788a", "#d9e2ec", "#2f80c2"
#: a chart's size in inches at 72 dpi (1 pt = 1 px at 100 %): ``size=`` of the chart routes
CHART_SIZES = {"wide": (8.0, 2.8), "narrow": (4.8, 3.4)}
#: at most this many labels on the time axis, by size
TICKS = {"wide": 12, "narrow": 6}
SVG_TYPE = "image/svg+xml"

router = SegmentRouter(route_class=PageRoute)


@dataclass(frozen=True)
class LineChart:
    """One series over time, with its labels already in the reader's language."""

    title: str
    points: Sequence[Point]
    #: the label of a point on the time axis (for the points ``ticks`` picks)
    time_label: Callable[[datetime], str]
    #: an amount on the value axis
    amount_label: Callable[[float], str]
    #: indices of the points labelled on the time axis
    ticks: Sequence[int]
    #: the value axis's title (its unit), or empty
    axis_title: str = ""
    #: ``wide`` (a page's width) or ``narrow`` (a phone's, taller; see ``CHART_SIZES``)
    size: str = "wide"


def line_svg(chart: LineChart) -> bytes:
    """The chart as a standalone SVG document (no style element or attribute)."""
    figure = Figure(figsize=CHART_SIZES[chart.size], dpi=72, facecolor="white")
    axes = figure.add_subplot()
    start = chart.points[0].at
    xs = [(p.at - start).total_seconds() / 86400 for p in chart.points]
    ys = [float(p.amount) for p in chart.points]
    axes.fill_between(xs, ys, color=ACCENT, alpha=0.12, linewidth=0)
    dots = 3.5 if len(xs) <= 40 else 0  # a dot per point while they stand apart
    axes.plot(xs, ys, color=ACCENT, linewidth=2, marker="o", markersize=dots)
    axes.set_xticks(
        [xs[k] for k in chart.ticks], [chart.time_label(chart.points[k].at) for k in chart.ticks]
    )
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: chart.amount_label(value)))
    low = min(0.0, *ys)
    axes.set_ylim(bottom=low, top=max(ys) * 1.08 if max(ys) > low else low + 1)
    axes.set_xlim(xs[0] - 1, xs[-1] + 1)
    axes.set_title(chart.title, loc="left", color=INK, fontsize=12)
    if chart.axis_title:
        axes.set_ylabel(chart.axis_title, color=MUTED)
    axes.grid(axis="y", color=LINE, linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(LINE)
    axes.tick_params(colors=MUTED, length=0, pad=6)
    return figure_svg(figure)


def figure_svg(figure: Figure) -> bytes:
    """A finished figure as a standalone SVG document with no style element or attribute."""
    figure.tight_layout(pad=0.6)
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return _without_styles(out.getvalue()).encode()


_STYLE_ELEMENT = re.compile(r"\s*<style[^>]*>.*?</style>", re.S)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
_FONT_FAMILY = ", ".join(f"'{name}'" for name in _MEASURED_WITH)


def _presentation(match: re.Match[str]) -> str:
    attributes = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        if name.strip() and value.strip():
            value = value.strip().replace(_FONT_FAMILY, PAGE_FONTS).replace('"', "'")
            attributes.append(f' {name.strip()}="{value}"')
    return "".join(attributes)


def _without_styles(svg: str) -> str:
    """matplotlib's SVG with its CSS turned into presentation attributes, which a page's CSP
    (``style-src 'self'``) does not govern; its one style rule moves to the root element."""
    svg = _STYLE_ELEMENT.sub("", svg, count=1)
    svg = _STYLE_ATTRIBUTE.sub(_presentation, svg)
    return svg.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)


# ------------------------------------------------------------------ labels


def _month(lang: str, shown: Shown) -> Callable[[datetime], str]:
    def label(at: datetime) -> str:
        local = at.astimezone(shown.zone)
        skeleton = "yMMM" if local.month == 1 else "MMM"
        return format_skeleton(skeleton, local, locale=lang)

    return label


def _day(lang: str, shown: Shown) -> Callable[[datetime], str]:
    return lambda at: format_skeleton("MMMd", at.astimezone(shown.zone), locale=lang)


def _money(lang: str, shown: Shown) -> Callable[[float], str]:
    return lambda value: format_compact_currency(
        Decimal(str(float(value))), shown.currency, locale=lang, fraction_digits=1
    )


def _quantity(lang: str) -> Callable[[float], str]:
    return lambda value: format_compact_decimal(
        Decimal(str(float(value))), locale=lang, fraction_digits=1
    )


def _every(count: int, most: int) -> list[int]:
    """About ``most`` evenly spread indices of ``count`` points, always the last one."""
    step = max(1, -(-count // most))
    return sorted({*range(count - 1, -1, -step)})


def _svg(body: bytes) -> Response:
    return Response(body, media_type=SVG_TYPE, headers={"Cache-Control": "private, no-store"})


# ------------------------------------------------------------------ routes

TITLE_VALUE = N_("Stock value at each month end")
TITLE_ON_HAND = N_("On hand of %(code)s")


def chart_size(size: str) -> str:
    """``size`` if it is one of ``CHART_SIZES``; InvalidInput ``invalid_chart_size`` if not."""
    if size not in CHART_SIZES:
        raise InvalidInput(
            f"size must be one of {', '.join(CHART_SIZES)}",
            code="invalid_chart_size",
            allowed=list(CHART_SIZES),
        )
    return size


Size = Annotated[str, Query(description="wide (a page) or narrow (a phone)")]


@router.get("/charts/stock-value.svg")
def stock_value_chart(
    request: Request, user: Annotated[WebUser, page(VALUATION_VIEW)], size: Size = "wide"
) -> Response:
    """The value of the stock the user may value at each of the last 12 month ends and now
    (the month ends are labelled)."""
    shown, lang, size = display_of(request), language(request), chart_size(size)
    with db_of(request).read() as conn:
        series = read_value_series(
            conn, month_ends(utcnow(), shown.zone), warehouses=user.warehouses(VALUATION_VIEW)
        )
    chart = LineChart(
        title=gettext_for(request)(TITLE_VALUE),
        points=series,
        time_label=_month(lang, shown),
        amount_label=_money(lang, shown),
        ticks=_every(len(series) - 1, TICKS[size]),
        size=size,
    )
    return _svg(line_svg(chart))


@router.get("/items/{code:path}/on-hand.svg")
def on_hand_chart(
    request: Request,
    user: Annotated[WebUser, page(STOCK_VIEW)],
    code: str,
    days: Annotated[int, Query(description="30, 90 or 365")] = 90,
    size: Size = "wide",
) -> Response:
    """One item's on hand in the user's warehouses at the end of each day (each week over a
    year) and now."""
    shown, lang, size = display_of(request), language(request), chart_size(size)
    found = get_item(db_of(request), code)
    with db_of(request).read() as conn:
        series = read_on_hand_series(
            conn,
            found.code,
            day_ends(utcnow(), shown.zone, check_days(days)),
            warehouses=user.warehouses(STOCK_VIEW),
        )
    chart = LineChart(
        title=gettext_for(request)(TITLE_ON_HAND) % {"code": found.code},
        points=series,
        time_label=_day(lang, shown),
        amount_label=_quantity(lang),
        ticks=_every(len(series), TICKS[size] - 2),
        axis_title=unit_symbol(found.base_unit),
        size=size,
    )
    return _svg(line_svg(chart))
