"""Document pages (issue 12): the lists of documents by type, one document with its lines,
timeline, moves, origin and follow-ups and a button for each step the user may take on it now,
and the task inbox with the user's notifications.

The buttons come from the document's machine (``Machine.steps_from``), kept to the steps whose
permission the user holds in the document's warehouse; each is a form of its own route that
declares that permission (``/documents/{number}/{doc_type}/{step}``), so the matrix of roles
and routes covers every step. A step taken goes back to the document with a message; a refused
one shows the document again with the refusal in the user's language, and writes nothing.
Steps that need a screen of their own (receiving against an order, recording an inspection,
putting away) are links to ``web/inbound.py``'s screens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from operator import attrgetter
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment

from cangku.db.notifications import unread_count
from cangku.domain.documents import Machine, Step, machines
from cangku.domain.errors import CangkuError, InvalidInput, NotFound, PermissionDenied
from cangku.domain.permissions import Action
from cangku.queries.common import Page
from cangku.queries.cost_fields import cost_scope
from cangku.queries.documents import (
    DocumentSummary,
    DocumentView,
    get_document,
    list_documents,
    my_tasks,
    priced_for,
    task_counts,
)
from cangku.queries.lots import expiry_settings
from cangku.queries.sites import list_warehouses, warehouse_codes
from cangku.routing import SegmentRouter
from cangku.services.common import utcnow
from cangku.services.documents import DOCUMENTS_ASSIGN, DOCUMENTS_VIEW, StepResult, step_action
from cangku.services.inbound import orders, receipts, returns
from cangku.services.stock import VALUATION_VIEW
from cangku.services.tasks import (
    DOCUMENTS_TAKE,
    NOTIFICATIONS_READ,
    NOTIFICATIONS_VIEW,
    assign_document,
    mark_read,
    notifications_of,
    take_document,
)
from cangku.web import (
    adjustments,
    codes,
    count_steps,
    outbound_codes,
    outbound_steps,
    transfer_steps,
)
from cangku.web.access import WebUser, acting, current_user, page
from cangku.web.forms import Fields, FormDep, new_key
from cangku.web.i18n import N_
from cangku.web.listing import Column, Listing, exported
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    gettext_for,
    language,
    pager,
    path_part,
    redirect,
    render,
)

__all__ = ["TYPES", "install", "router", "task_link"]

router = SegmentRouter(route_class=PageRoute)

#: the document types the pages list, in the order of their tabs
TYPES = (
    "purchase_order",
    "receipt",
    "inspection",
    "putaway",
    "supplier_return",
    *outbound_codes.OUTBOUND_TYPES,
    *transfer_steps.TYPES,
    "adjustment",
    *count_steps.TYPES,
)

#: a step taken from a button: the service that takes it (``note`` is the form's note)
StepService = Callable[[Any, Any, str, str | None, Fields], StepResult]


def _receive(db: Any, ctx: Any, number: str, note: str | None, fields: Fields) -> StepResult:
    return receipts.receive_receipt(
        db, ctx, number, confirm_over_receipt=fields.flag("confirm_over_receipt"), note=note
    )


def _plain(
    service: Callable[[Any, Any, str, str | None], StepResult],
) -> StepService:
    def run(db: Any, ctx: Any, number: str, note: str | None, _fields: Fields) -> StepResult:
        return service(db, ctx, number, note)

    return run


#: (document type, step) -> the service behind its button
STEP_SERVICES: dict[tuple[str, str], StepService] = {
    ("purchase_order", "confirm"): _plain(orders.confirm_order),
    ("purchase_order", "approve"): _plain(orders.approve_order),
    ("purchase_order", "reject"): _plain(orders.reject_order),
    ("purchase_order", "close"): _plain(orders.close_order),
    ("purchase_order", "cancel"): _plain(orders.cancel_order),
    ("receipt", "receive"): _receive,
    ("receipt", "cancel"): _plain(receipts.cancel_receipt),
    ("supplier_return", "ship"): _plain(returns.ship_supplier_return),
    ("supplier_return", "cancel"): _plain(returns.cancel_supplier_return),
    # the outbound documents' buttons (issue 13)
    **outbound_steps.STEP_SERVICES,
    # a transfer's buttons (issue 14)
    **transfer_steps.STEP_SERVICES,
    # an adjustment's (issue 14)
    **adjustments.STEP_SERVICES,
    # a stock count's (issue 14)
    **count_steps.STEP_SERVICES,
}

#: steps done on a screen of their own (``web/inbound.py``): where it opens
STEP_SCREENS: dict[tuple[str, str], str] = {
    ("purchase_order", "receive"): "/receiving?order={number}",
    ("inspection", "inspect"): "/inspections/{number}/record",
    ("putaway", "put_away"): "/putaways/{number}",
    **outbound_steps.STEP_SCREENS,
    **transfer_steps.STEP_SCREENS,
    **count_steps.STEP_SCREENS,
}

#: what the screen links say
SCREEN_LINKS: dict[tuple[str, str], str] = {
    ("purchase_order", "receive"): N_("Receive against this order"),
    ("inspection", "inspect"): N_("Record inspection"),
    ("putaway", "put_away"): N_("Put away"),
    **outbound_steps.SCREEN_LINKS,
    **transfer_steps.SCREEN_LINKS,
    **count_steps.SCREEN_LINKS,
}


def task_link(doc_type: str, step: str | None, number: str) -> str:
    """Where a task is done: its screen, or the document's page (its buttons)."""
    screen = STEP_SCREENS.get((doc_type, step or ""))
    if screen is not None:
        return screen.format(number=path_part(number))
    return f"/documents/{path_part(number)}"


# ------------------------------------------------------------------ labels on the pages


def install(env: Environment, lang: str) -> None:
    """The documents' labels as filters of a language's templates, and the unread count of the
    navigation's badge (``pages.mount`` installs them in each language's environment)."""
    env.filters.update(
        doc_type=lambda v: outbound_codes.document_type_label(v, lang),
        doc_state=lambda v: outbound_codes.document_state_label(v, lang),
        step=outbound_codes.step_filter(lang),
        line_reason=lambda v: codes.line_reason_label(v, lang),
        short_pick_reason=lambda v: outbound_codes.short_pick_reason_label(v, lang),
        return_reason=lambda v: outbound_codes.return_reason_label(v, lang),
        disposition=lambda v: outbound_codes.disposition_label(v, lang),
        task_link=task_link,
    )
    env.globals["unread_notifications"] = unread_notifications


def unread_notifications(request: Request, user: WebUser | None) -> int:
    """How many of the signed-in user's notifications are unread (the badge of "Tasks")."""
    if user is None or not user.may(NOTIFICATIONS_VIEW.code):
        return 0
    cached = getattr(request.state, "unread_notifications", None)
    if isinstance(cached, int):
        return cached
    with db_of(request).read() as conn:
        count = unread_count(conn, user.actor.user_id)
    request.state.unread_notifications = count
    return count


# ------------------------------------------------------------------ the lists


def document_list(gettext: Callable[[str], str], lang: str) -> Listing:
    """The document list as a file, in the reader's language: what the page shows."""
    return Listing(
        "documents",
        [
            Column(N_("Number"), attrgetter("number")),
            Column(N_("Type"), lambda d: outbound_codes.document_type_label(d.doc_type, lang)),
            Column(N_("Status"), lambda d: outbound_codes.document_state_label(d.state, lang)),
            Column(N_("Warehouse"), attrgetter("warehouse")),
            Column(N_("Partner"), attrgetter("partner")),
            Column(N_("Reference"), attrgetter("reference")),
            Column(N_("Due"), attrgetter("due_on"), "date"),
            Column(N_("Assignee"), attrgetter("assignee")),
            Column(
                N_("Next step"), lambda d: outbound_codes.step_label(d.next_step, lang, d.doc_type)
            ),
            Column(N_("Value"), attrgetter("total_value"), "money"),
            Column(N_("Created"), attrgetter("created_at"), "time"),
        ],
    )


def _today(request: Request) -> date:
    with db_of(request).read() as conn:
        return expiry_settings(conn).today(utcnow())


def _refusal_page(request: Request, error: CangkuError) -> HTMLResponse:
    message = outbound_codes.refusal(error, language(request))
    return render(request, "error.html", status=error.status, message=message, code=error.code)


def _choice(request: Request, name: str, allowed: tuple[str, ...], code: str) -> str | None:
    value = request.query_params.get(name, "")
    if value and value not in allowed:
        raise InvalidInput(f"unknown {name} {value!r}", code=code, allowed=list(allowed))
    return value or None


def _states(doc_type: str | None) -> tuple[str, ...]:
    found: list[str] = []
    for kind in (doc_type,) if doc_type else TYPES:
        found += [s for s in machines()[kind].states if s not in found]
    return tuple(found)


@router.get("/documents", response_class=HTMLResponse)
def documents_page(request: Request, user: Annotated[WebUser, page(DOCUMENTS_VIEW)]) -> Response:
    query = request.query_params
    try:
        doc_type = _choice(request, "type", TYPES, "unknown_document_type")
        state = _choice(request, "state", _states(doc_type), "unknown_state")
    except InvalidInput as error:
        return _refusal_page(request, error)
    warehouse, partner = query.get("warehouse", ""), query.get("partner", "").strip()
    q, open_only = query.get("q", ""), query.get("open", "") == "1"
    pages = pager(request)
    seen = user.warehouses(DOCUMENTS_VIEW)
    today = _today(request)

    def fetch(limit: int, offset: int, cursor: str | None = None) -> Page[DocumentSummary]:
        with db_of(request).read() as conn:
            return list_documents(
                conn, doc_type, state=state, warehouse=warehouse or None,
                partner=partner or None, q=q or None, open_only=open_only,
                warehouses_seen=seen, today=today, limit=limit, offset=offset,
            )  # fmt: skip

    lang = language(request)
    listing = document_list(gettext_for(request), lang)
    if (file := exported(request, listing, fetch)) is not None:
        return file
    found = fetch(pages.size, pages.offset)
    warehouses = list_warehouses(db_of(request), limit=200, warehouses=seen).items
    return render(
        request,
        "documents.html",
        user=user,
        documents=found.items,
        types=TYPES,
        states=_states(doc_type),
        doc_type=doc_type or "",
        state=state or "",
        warehouse=warehouse,
        warehouses=[w.code for w in warehouses],
        partner=partner,
        q=q,
        open_only=open_only,
        pager=replace(pages, total=found.total, total_exact=found.total_exact),
    )


# ------------------------------------------------------------------ one document


@dataclass(frozen=True)
class Button:
    """A step the user may take on the document now, and the form's action."""

    step: Step
    action: str

    @property
    def code(self) -> str:
        return self.step.code


@dataclass(frozen=True)
class Offer:
    """What the document's page offers the user: step buttons, screen links, assign, take."""

    buttons: list[Button]
    screens: list[tuple[str, str]]
    may_assign: bool
    may_take: bool


def _warehouse_id(request: Request, code: str) -> int:
    return next(i for i, c in warehouse_codes(db_of(request)).items() if c == code)


def _offer(request: Request, user: WebUser, doc: DocumentView) -> Offer:
    machine: Machine = machines()[doc.doc_type]
    warehouse_id = _warehouse_id(request, doc.warehouse)
    # a transfer's receipt and resolution are the destination's (``Step.at_destination``)
    destination_id = _warehouse_id(request, doc.to_warehouse) if doc.to_warehouse else None
    actor = user.actor
    base = f"/documents/{path_part(doc.number)}"

    def where(step: Step) -> int:
        if step.at_destination and destination_id is not None:
            return destination_id
        return warehouse_id

    def may(step: Step) -> bool:
        return actor.may(step_action(step.action), where(step))

    buttons = [
        Button(step, f"{base}/{doc.doc_type}/{step.code}")
        for step in machine.steps_from(doc.state)
        if (doc.doc_type, step.code) in STEP_SERVICES and may(step)
    ]
    task = machine.task(doc.state)
    if task is not None and doc.doc_type in outbound_codes.OUTBOUND_TYPES:
        # an outbound document's task first: the primary button (a picked request ships)
        buttons.sort(key=lambda b: b.code != task.code)
    screens = []
    if task is not None and (doc.doc_type, task.code) in STEP_SCREENS and may(task):
        text = gettext_for(request)(SCREEN_LINKS[(doc.doc_type, task.code)])
        screens.append((text, task_link(doc.doc_type, task.code, doc.number)))
    may_take = (
        task is not None
        and doc.assignee != user.username
        and actor.may(DOCUMENTS_TAKE, where(task))
        and may(task)
    )
    may_assign = task is not None and actor.may(DOCUMENTS_ASSIGN, warehouse_id)
    return Offer(buttons, screens, may_assign, may_take)


def _document_page(
    request: Request, user: WebUser, number: str, status: int = 200, **context: Any
) -> HTMLResponse:
    today = _today(request)
    with db_of(request).read() as conn:
        doc = get_document(conn, number, user.warehouses(DOCUMENTS_VIEW), today)
        doc = priced_for(doc, cost_scope(conn, user.warehouses(VALUATION_VIEW)))
    context.setdefault("error", None)
    context.setdefault("note", "")
    context.setdefault("confirm_over_receipt", False)
    context.update(outbound_steps.document_context(request, user, doc))
    context.update(adjustments.document_context(request, doc))
    context.update(transfer_steps.document_context(request, user, doc))
    context.update(count_steps.document_context(request, user, doc))
    return render(
        request,
        context.pop("template", "document_detail.html"),
        status=status,
        user=user,
        doc=doc,
        offer=_offer(request, user, doc),
        idempotency_key=new_key(),
        **context,
    )


@router.get("/documents/{number}", response_class=HTMLResponse)
def document_page(
    request: Request, number: str, user: Annotated[WebUser, page(DOCUMENTS_VIEW)]
) -> Response:
    try:
        return _document_page(request, user, number)
    except NotFound as error:
        return _refusal_page(request, error)


def _refused(
    request: Request, user: WebUser, number: str, error: CangkuError, declared: Action, **kw: Any
) -> HTMLResponse:
    """The document again with the refusal. A refusal of the route's own permission is 403; a
    permission the document's step needs beyond it (taking a task one cannot do) is a conflict
    with the document's state (409), as any other refusal has its own status."""
    status = error.status
    if isinstance(error, PermissionDenied) and error.data.get("permission") != declared.code:
        status = 409
    message = outbound_codes.refusal(error, language(request))
    try:
        return _document_page(request, user, number, status, error=message, **kw)
    except NotFound as missing:
        return _refusal_page(request, missing)


def _step_route(doc_type: str, step: Step, service: StepService) -> None:
    declared = step_action(step.action)

    def take_step(request: Request, number: str, fields: FormDep) -> Response:
        """Take the step from the document's button; the document again on refusal."""
        user = current_user(request)
        note = fields.raw("note")
        try:
            with db_of(request).read() as conn:
                found = get_document(conn, number, user.warehouses(DOCUMENTS_VIEW))
            if found.doc_type != doc_type:
                raise NotFound("document", number)
            ctx = acting(request, fields.optional("idempotency_key"))
            result = service(db_of(request), ctx, number, note, fields)
        except CangkuError as error:
            over = error.code == "over_receipt"
            return _refused(
                request, user, number, error, declared, note=note or "", confirm_over_receipt=over
            )
        gettext = gettext_for(request)
        text = gettext(N_("%(number)s: %(step)s done; it is now %(state)s.")) % {
            "number": number,
            "step": outbound_codes.step_label(step.code, language(request), doc_type),
            "state": outbound_codes.document_state_label(result.state, language(request)),
        }
        level = "info" if result.replayed else "success"
        return redirect(
            f"/documents/{path_part(number)}", Flash(level, text, tuple(result.move_ids))
        )

    take_step.__name__ = f"{doc_type}_{step.code}"
    router.add_api_route(
        f"/documents/{{number}}/{doc_type}/{step.code}",
        take_step,
        methods=["POST"],
        response_class=HTMLResponse,
        dependencies=[page(declared)],
    )


for (_type, _code), _service in STEP_SERVICES.items():
    _step_route(_type, machines()[_type].step(_code), _service)


@router.post("/documents/{number}/assign", response_class=HTMLResponse)
def assign_from_page(
    request: Request,
    number: str,
    user: Annotated[WebUser, page(DOCUMENTS_ASSIGN)],
    fields: FormDep,
) -> Response:
    username = fields.optional("assignee")
    try:
        assign_document(db_of(request), acting(request), number, username)
    except CangkuError as error:
        return _refused(request, user, number, error, DOCUMENTS_ASSIGN)
    gettext = gettext_for(request)
    if username:
        text = gettext(N_("%(number)s is assigned to %(user)s.")) % {
            "number": number,
            "user": username,
        }
    else:
        text = gettext(N_("%(number)s is open to anyone who may do its next step.")) % {
            "number": number
        }
    return redirect(f"/documents/{path_part(number)}", Flash("success", text))


@router.post("/documents/{number}/take", response_class=HTMLResponse)
def take_from_page(
    request: Request, number: str, user: Annotated[WebUser, page(DOCUMENTS_TAKE)]
) -> Response:
    try:
        take_document(db_of(request), acting(request), number)
    except CangkuError as error:
        return _refused(request, user, number, error, DOCUMENTS_TAKE)
    text = gettext_for(request)(N_("You took %(number)s.")) % {"number": number}
    back = request.query_params.get("back", "")
    target = "/tasks" if back == "tasks" else f"/documents/{path_part(number)}"
    return redirect(target, Flash("success", text))


# ------------------------------------------------------------------ the task inbox


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, user: Annotated[WebUser, page(DOCUMENTS_VIEW)]) -> Response:
    try:
        doc_type = _choice(request, "type", TYPES, "unknown_document_type")
    except InvalidInput as error:
        return _refusal_page(request, error)
    pages = pager(request)
    today = _today(request)
    with db_of(request).read() as conn:
        found = my_tasks(
            conn, user.actor, today, doc_type=doc_type, limit=pages.size, offset=pages.offset
        )
        counts = task_counts(conn, user.actor, today)
    notes = (
        notifications_of(db_of(request), acting(request), limit=20)
        if user.may(NOTIFICATIONS_READ.code)
        else []
    )
    return render(
        request,
        "tasks.html",
        user=user,
        tasks=found.items,
        counts=counts,
        doc_type=doc_type or "",
        notifications=notes,
        may_take=user.may(DOCUMENTS_TAKE.code),
        pager=replace(pages, total=found.total, total_exact=found.total_exact),
    )


@router.post("/tasks/notifications/read")
def read_notifications(
    request: Request, user: Annotated[WebUser, page(NOTIFICATIONS_READ)]
) -> Response:
    marked = mark_read(db_of(request), acting(request))
    text = gettext_for(request)(N_("%(count)s notifications marked as read.")) % {"count": marked}
    return redirect("/tasks", Flash("success", text))
