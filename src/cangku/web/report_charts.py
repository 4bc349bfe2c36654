"""A report's chart as SVG (ADR 0019: drawn on the server with matplotlib, no script, no style):
horizontal bars of the first rows for a ``bar`` chart, lines over time for a ``line`` chart,
labelled in the page's language and money in the company currency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_skeleton
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from cangku.queries.reports import Report
from cangku.web.charts import ACCENT, CHART_SIZES, INK, LINE, MUTED, TICKS, figure_svg
from cangku.web.display import Shown
from cangku.web.i18n import label

__all__ = ["report_svg"]

#: the colours of a chart's series, in order
PALETTE = (ACCENT, "#e07b39", "#4c9f70", "#8e6bbf")
#: a bar's label is cut to this many characters
LABEL_CHARACTERS = 22


def _amount(lang: str, shown: Shown, kind: str) -> Callable[[float, Any], str]:
    from babel.numbers import format_compact_currency, format_compact_decimal

    def money(value: float, _pos: Any) -> str:
        return format_compact_currency(
            Decimal(str(value)), shown.currency, locale=lang, fraction_digits=1
        )

    def plain(value: float, _pos: Any) -> str:
        return format_compact_decimal(Decimal(str(value)), locale=lang, fraction_digits=1)

    def share(value: float, _pos: Any) -> str:
        return plain(value, _pos) + " %"

    return money if kind == "money" else share if kind == "percent" else plain


def _style(axes: Any) -> None:
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(LINE)
    axes.tick_params(colors=MUTED, length=0, pad=6)


def _cell_label(
    report: Report, key: str, value: Any, lang: str, translate: Callable[[str], str]
) -> str:
    column = next(c for c in report.columns if c.key == key)
    if column.kind == "label":
        text = label(value, lang)
    elif column.kind == "message" and value:
        text = translate(value)
    else:
        text = str(value or "—")
    return text if len(text) <= LABEL_CHARACTERS else text[: LABEL_CHARACTERS - 1] + "…"


def report_svg(
    report: Report, size: str, lang: str, shown: Shown, translate: Callable[[str], str]
) -> bytes:
    """The report's chart (an empty frame with its title when it has none or no rows)."""
    width, height = CHART_SIZES[size]
    chart = report.chart
    keys = report.column_keys()
    kinds = {c.key: c.kind for c in report.columns}
    titles = {c.key: c.title(translate) for c in report.columns}
    rows = report.rows[: chart.top] if chart and chart.kind == "bar" else report.rows
    if chart and chart.kind == "bar":
        height = max(height, 0.6 + 0.28 * len(rows) * max(1, len(chart.series) * 0.7))
    figure = Figure(figsize=(width, height), dpi=72, facecolor="white")
    axes = figure.add_subplot()
    # with a legend, the title stands a line higher: the legend goes between them
    pad = 18 if chart is not None and len(chart.series) > 1 and report.rows else 6
    axes.set_title(translate(report.title), loc="left", color=INK, fontsize=12, pad=pad)
    _style(axes)
    if chart is None or not rows:
        axes.set_xticks([])
        axes.set_yticks([])
        return figure_svg(figure)
    at = keys.index(chart.label)
    formatter = FuncFormatter(_amount(lang, shown, kinds[chart.series[0]]))
    if chart.kind == "bar":
        labels = [_cell_label(report, chart.label, row[at], lang, translate) for row in rows]
        band = 0.8 / len(chart.series)
        for n, key in enumerate(chart.series):
            index = keys.index(key)
            ys = [k + n * band for k in range(len(rows))]
            xs = [float(row[index] or 0) for row in rows]
            axes.barh(ys, xs, height=band * 0.9, color=PALETTE[n % len(PALETTE)],
                      label=titles[key])  # fmt: skip
        axes.set_yticks([k + band * (len(chart.series) - 1) / 2 for k in range(len(rows))],
                        labels)  # fmt: skip
        axes.invert_yaxis()
        axes.xaxis.set_major_locator(MaxNLocator(nbins=4))
        axes.xaxis.set_major_formatter(formatter)
        axes.grid(axis="x", color=LINE, linewidth=0.8)
    else:
        xs = list(range(len(rows)))
        for n, key in enumerate(chart.series):
            index = keys.index(key)
            axes.plot(xs, [float(row[index] or 0) for row in rows],
                      color=PALETTE[n % len(PALETTE)], linewidth=2 if n == 0 else 1.2,
                      label=titles[key])  # fmt: skip
        step = max(1, -(-len(rows) // TICKS[size]))
        ticks = list(range(len(rows) - 1, -1, -step))[::-1]
        days: list[date] = [rows[k][at] for k in ticks]
        axes.set_xticks(ticks, [format_skeleton("MMMd", d, locale=lang) for d in days])
        axes.yaxis.set_major_locator(MaxNLocator(nbins=5))
        axes.yaxis.set_major_formatter(formatter)
        axes.grid(axis="y", color=LINE, linewidth=0.8)
    if len(chart.series) > 1:  # under the title, above the plot: it covers no bar or line
        axes.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(chart.series),
                    frameon=False, fontsize=8, labelcolor=MUTED, borderaxespad=0.2,
                    borderpad=0.1, handlelength=1.2, columnspacing=1.0)  # fmt: skip
    return figure_svg(figure)
