"""A shipment's packing list / delivery note as a PDF (reportlab's platypus: a header, the
customer and carrier block, the lines with lots, signature boxes), in English or Simplified
Chinese (a TrueType CJK font, its used glyphs embedded: cangku.services.pdf_fonts)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from cangku.db.uow import Database
from cangku.domain.permissions import Actor
from cangku.queries.outbound import ShipmentNote, shipment_note
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.pdf_fonts import cjk_font
from cangku.services.stock import VALUATION_VIEW

__all__ = ["delivery_note_pdf"]

_TEXT = {
    "en": {
        "title": "Delivery note / packing list",
        "shipment": "Shipment",
        "request": "Order",
        "date": "Date",
        "warehouse": "Warehouse",
        "customer": "Customer",
        "ship_to": "Ship to",
        "reference": "Customer reference",
        "carrier": "Carrier",
        "tracking": "Tracking number",
        "packages": "Packages",
        "no": "#",
        "item": "Item",
        "name": "Description",
        "lot": "Lot",
        "expires": "Expires",
        "quantity": "Quantity",
        "unit": "Unit",
        "value": "Cost",
        "total": "Cost of goods",
        "packed": "Packed by",
        "received": "Received by (name, date, signature)",
    },
    "zh": {
        "title": "发货单 / 装箱单",
        "shipment": "发货单号",
        "request": "订单号",
        "date": "日期",
        "warehouse": "仓库",
        "customer": "客户",
        "ship_to": "收货地址",
        "reference": "客户订单号",
        "carrier": "承运商",
        "tracking": "运单号",
        "packages": "件数",
        "no": "序号",
        "item": "物料编码",
        "name": "名称",
        "lot": "批次",
        "expires": "有效期至",
        "quantity": "数量",
        "unit": "单位",
        "value": "成本",
        "total": "销售成本",
        "packed": "装箱人",
        "received": "收货人（姓名、日期、签字）",
    },
}


def delivery_note_pdf(
    db: Database, actor: Actor, number: str, lang: str = "en"
) -> tuple[bytes, ShipmentNote]:
    """The delivery note of a shipment the reader may see (``documents.view`` in its
    warehouse), as PDF bytes; costs are printed only for holders of ``valuation.view`` there.
    Raises NotFound ``shipment_not_found`` (also outside the warehouses seen)."""
    actor.require(DOCUMENTS_VIEW)
    with db.read() as conn:
        note = shipment_note(conn, number, actor.warehouses(DOCUMENTS_VIEW))
    costs = actor.may(VALUATION_VIEW, note.warehouse_id)
    return render(note, lang if lang in _TEXT else "en", costs), note


def render(note: ShipmentNote, lang: str, costs: bool) -> bytes:
    t = _TEXT[lang]
    # the data may be Chinese whatever the page's language (names, addresses): the CJK font
    # has Latin glyphs too, Helvetica has no Chinese
    cjk = cjk_font()
    bold = cjk if lang == "zh" else "Helvetica-Bold"
    body = ParagraphStyle("body", fontName=cjk, fontSize=9, leading=12)
    title = ParagraphStyle("title", fontName=bold, fontSize=16, leading=20)

    def p(text: object) -> Paragraph:
        return Paragraph(_escape("" if text is None else str(text)), body)

    head = [
        [p(t["shipment"]), p(note.number), p(t["date"]), p(note.shipped_at.isoformat())],
        [p(t["request"]), p(note.request), p(t["warehouse"]), p(note.warehouse)],
        [p(t["customer"]), p(f"{note.customer_name or ''} ({note.customer_code or ''})"),
         p(t["reference"]), p(note.reference)],
        [p(t["ship_to"]), p(note.ship_to), p(t["carrier"]), p(note.carrier)],
        [p(t["packages"]), p(note.packages), p(t["tracking"]), p(note.tracking_number)],
    ]  # fmt: skip
    columns = ["no", "item", "name", "lot", "expires", "quantity", "unit"] + (
        ["value"] if costs else []
    )
    rows = [[p(t[c]) for c in columns]]
    for line in note.lines:
        cells = [
            line.line_no, line.item, line.item_name, line.lot, line.expires_on,
            _number(line.quantity), line.base_unit,
        ]  # fmt: skip
        if costs:
            cells.append(_number(line.value))
        rows.append([p(c) for c in cells])
    styles: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if costs:
        rows.append(
            [p(t["total"])] + [p("")] * (len(columns) - 2) + [p(_number(note.cost_of_goods))]
        )
        styles.append(("SPAN", (0, -1), (-2, -1)))
        styles.append(("ALIGN", (0, -1), (-2, -1), "RIGHT"))
    grid = TableStyle(styles)
    widths = [12 * mm, 28 * mm, 46 * mm, 24 * mm, 22 * mm, 20 * mm, 14 * mm] + (
        [20 * mm] if costs else []
    )
    lines = Table(rows, colWidths=widths, repeatRows=1)
    lines.setStyle(grid)
    header = Table(head, colWidths=[25 * mm, 65 * mm, 30 * mm, 60 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    signatures = Table(
        [[p(t["packed"]), p(t["received"])], [p(""), p("")]],
        colWidths=[85 * mm, 95 * mm],
        rowHeights=[None, 18 * mm],
    )
    signatures.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey)]))
    out = BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=15 * mm, title=f"{t['title']} {note.number}", author="cangku",
    )  # fmt: skip
    doc.build(
        [
            Paragraph(_escape(t["title"]), title),
            Spacer(1, 4 * mm),
            header,
            Spacer(1, 6 * mm),
            lines,
            Spacer(1, 10 * mm),
            signatures,
        ]
    )
    return out.getvalue()


def _number(value: object) -> str:
    text = f"{value:f}" if hasattr(value, "as_tuple") else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
