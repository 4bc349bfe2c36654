"""A report as a file: CSV and XLSX (``imports.files.write_file``: the figures as exact numbers,
the definitions on a second sheet) and PDF (reportlab, landscape A4, Chinese in an embedded
font), in the language of the face that asks (``translate`` turns the report's English message
ids into it; ``label`` names a closed-vocabulary value)."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from cangku.queries.reports import Report
from cangku.services.imports.files import MEDIA_TYPES as SHEET_TYPES
from cangku.services.imports.files import write_file
from cangku.services.pdf_fonts import cjk_font

__all__ = ["MEDIA_TYPES", "file_name", "report_file", "report_period", "report_text"]

Translate = Callable[[str], str]
MEDIA_TYPES = {**SHEET_TYPES, "pdf": "application/pdf"}


def _same(text: str) -> str:
    return text


def report_period(report: Report, translate: Translate = _same) -> str:
    """The day or period the report covers, as text (``now`` for a report as of now, in the
    language ``translate`` gives)."""
    q = report.query
    if q.start is not None:
        return f"{q.start.isoformat()} – {q.end.isoformat() if q.end else ''}"
    return q.at_day.isoformat() if q.at_day is not None else translate("now")


def report_text(message: str, values: Mapping[str, Any], translate: Translate) -> str:
    """A note of the report (a message id with ``%(name)s`` fields) in the face's language."""
    shown = {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
    return translate(message) % shown


def _cells(
    report: Report, row: tuple[Any, ...], label: Translate, translate: Translate
) -> list[Any]:
    return [
        label(value)
        if column.kind == "label" and isinstance(value, str)
        else translate(value)
        if column.kind == "message" and isinstance(value, str)
        else value
        for column, value in zip(report.columns, row, strict=True)
    ]


def file_name(report: Report, fmt: str) -> str:
    return f"{report.name}-{report_period(report).replace(' – ', '_to_')}.{fmt}"


def report_file(
    report: Report, fmt: str, translate: Translate = _same, label: Translate = _same
) -> bytes:
    """The report as a ``csv``, ``xlsx`` or ``pdf`` file."""
    headers = [c.title(translate) for c in report.columns]
    rows = [_cells(report, row, label, translate) for row in report.rows]
    if report.totals is not None:
        total = [translate("Total") if i == 0 else v for i, v in enumerate(report.totals)]
        rows.append(total)
    if fmt == "pdf":
        return _pdf(report, headers, rows, translate)
    about = [
        [translate(report.title)],
        [
            translate("Period") if report.query.start else translate("As of"),
            report_period(report, translate),
        ],
        *([report_text(m, v, translate)] for m, v in report.notes),
        [],
        *([translate(text)] for text in report.definitions),
    ]
    if fmt == "csv":
        notes = [f"# {translate(report.title)} ({report_period(report, translate)})"]
        return write_file("csv", headers, rows, notes=notes)
    return write_file(
        "xlsx", headers, rows, title=report.name, extra=[(translate("Definitions"), about)]
    )


def _text(kind: str, value: Any) -> str:
    """A cell as the PDF prints it: money to the cent, grouped; a percentage with its sign."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if kind == "money":
            return f"{value:,.2f}"
        if kind == "percent":
            return f"{value:.2f} %"
        return f"{value.normalize():,f}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _pdf(report: Report, headers: list[str], rows: list[list[Any]], translate: Translate) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=7, leading=9)
    small = ParagraphStyle("small", fontName=font, fontSize=7, leading=9, textColor=colors.grey)
    title = ParagraphStyle("title", fontName=font, fontSize=14, leading=18)
    numeric = {i for i, c in enumerate(report.columns) if c.kind not in ("text", "label", "date")}

    def cell(i: int, value: Any) -> Paragraph:
        style = ParagraphStyle("num", parent=body, alignment=2) if i in numeric else body
        return Paragraph(escape(_text(report.columns[i].kind, value)), style)

    table_rows = [[Paragraph(escape(h), body) for h in headers]]
    table_rows += [[cell(i, v) for i, v in enumerate(row)] for row in rows]
    page = landscape(A4)
    width = page[0] - 20 * mm
    table = Table(table_rows, colWidths=[width / len(headers)] * len(headers), repeatRows=1)
    style: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.3, colors.lightgrey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#ddebf7")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if report.totals is not None:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f2f2")))
    table.setStyle(TableStyle(style))
    label = translate("Period") if report.query.start else translate("As of")
    story: list[Any] = [
        Paragraph(escape(translate(report.title)), title),
        Paragraph(escape(f"{label}: {report_period(report, translate)}"), body),
        *(Paragraph(escape(report_text(m, v, translate)), body) for m, v in report.notes),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 4 * mm),
        *(Paragraph(escape(translate(text)), small) for text in report.definitions),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=page, leftMargin=10 * mm, rightMargin=10 * mm, topMargin=10 * mm,
        bottomMargin=10 * mm, title=translate(report.title),
    )  # fmt: skip
    doc.build(story)
    return buffer.getvalue()
