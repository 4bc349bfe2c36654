"""Printing labels: the options checked first, then the selection read, counted and drawn.

Whoever may view an item, lot or location may print its labels: the faces guard with the view
action (``item.view``, ``lot.view``, ``warehouse.view``) and pass the warehouses the user sees
to the location read. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cangku.domain.labels import (
    DEFAULT_LAYOUT,
    Symbol,
    check_copies,
    check_count,
    check_layout,
    check_skip,
    check_symbol,
)
from cangku.queries.labels import Found

__all__ = ["PrintOptions", "Printed", "print_labels"]


@dataclass(frozen=True)
class PrintOptions:
    """How to print: the layout (``domain.labels.LAYOUTS``), copies of each label, positions to
    leave empty on the first sheet, and the 2-D symbol (``auto``, ``qr``, ``datamatrix``)."""

    layout: str = DEFAULT_LAYOUT
    copies: int = 1
    skip: int = 0
    symbol: str = Symbol.AUTO.value


@dataclass(frozen=True)
class Printed:
    pdf: bytes
    labels: int
    pages: int
    layout: str


def print_labels(options: PrintOptions, select: Callable[[], Found]) -> Printed:
    """The PDF of the labels ``select`` reads (e.g. ``lambda: item_labels(db, codes)``).

    Raises InvalidInput (``invalid_layout``, ``invalid_copies``, ``invalid_skip``,
    ``invalid_symbol``) before anything is read; then what the read raises (NotFound for an
    unknown code, ``lot_ambiguous``), and InvalidInput ``no_labels`` or ``too_many_labels``
    (with ``limit`` and ``requested``). Writes nothing.
    """
    layout = check_layout(options.layout)
    copies = check_copies(options.copies)
    skip = check_skip(options.skip, layout)
    symbol = check_symbol(options.symbol)
    found = select()
    count = check_count(found.total, copies)
    # reportlab is loaded when labels are drawn (a tenth of a second no other command needs)
    from cangku.services.label_pdf import render_pdf

    pdf, pages = render_pdf(found.labels, layout, symbol, copies, skip)
    return Printed(pdf, count, pages, layout.name)
