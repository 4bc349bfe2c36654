"""``cangku so ...`` and ``cangku requisition ...``: outbound requests (sales orders for a
customer, material requisitions for production or internal use), from draft through
approval, allocation and picking to shipped; each group's ``approval-rules`` say when its
requests wait for approval, and ``cangku so return ...`` takes goods back against a shipment.

Both groups are made by ``request_group`` from their kind: the steps that only take a note
come from one table (``STEPS``). Pick lists and shipments are ``cangku pick`` and
``cangku ship`` (``commands.picking``).

Customer returns and approval rules are not top-level groups (``customer-return``,
``approval-rule``): ``cangku --help`` fits its summaries beside the longest name, and a name
longer than 11 letters would cut the summaries listed today (see ``supplier_return``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

import typer

from cangku.cli.commands import customer_return
from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, reader, table
from cangku.cli.documents import (
    AssigneeOpt,
    DueOpt,
    NoteOpt,
    acting,
    keyed,
    machine_help,
    parse_day,
    parse_line,
    show_step,
)
from cangku.cli.outbound import (
    PER_LINE,
    Step,
    WarehouseFilter,
    add_list_and_show,
    add_steps,
    for_kind,
    help_text,
    number_help,
)
from cangku.domain.documents import Machine
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.outbound import REQUISITION, SALES_ORDER
from cangku.domain.quantities import from_scaled
from cangku.queries.lots import expiry_settings
from cangku.queries.outbound import demand
from cangku.queries.sites import warehouse_codes
from cangku.services.common import utcnow
from cangku.services.documents import DOCUMENTS_VIEW, step_action
from cangku.services.outbound import allocation, requests, rules, shipping

WarehouseOpt = Annotated[str, typer.Option("--warehouse", help="The warehouse it ships from.")]
LotOpt = Annotated[list[str] | None, typer.Option("--lot", help=f"A chosen lot: {PER_LINE}.")]
FromOpt = Annotated[
    list[str] | None, typer.Option("--from", help=f"A chosen bin to take it from: {PER_LINE}.")
]
ShipToOpt = Annotated[
    str | None,
    typer.Option("--ship-to", help="Where to deliver (default: the customer's address)."),
]
PlanOpt = Annotated[
    str | None, typer.Option("--plan", help="The sales or production plan (order) it serves.")
]
PlannedOpt = Annotated[
    str | None, typer.Option("--planned-on", help="The plan's date (YYYY-MM-DD).")
]
ReferenceOpt = Annotated[
    str | None, typer.Option("--reference", help="The customer's or production order number.")
]
SubmitOpt = Annotated[bool, typer.Option("--submit", help="Submit it at once.")]


# ---------------------------------------------------------------- the steps, as a table
#: each ``run(db, ctx, kind, number, note=)``; bound to a kind by ``request_group``
STEPS: tuple[Step, ...] = (
    Step(
        "submit",
        requests.submit_request,
        "Submit a draft request.",
        "Under every approval rule's threshold it is approved at once (the timeline says so); "
        "otherwise it waits for approval.",
    ),
    Step(
        "approve",
        requests.approve_request,
        "Approve a request someone else raised.",
        "Never one's own request; an approval rule may name the approver's role.",
    ),
    Step(
        "reject",
        requests.reject_request,
        "Reject a submitted request, the reason as --note.",
        "The requester may revise it and submit it again.",
    ),
    Step("revise", requests.revise_request, "Take a rejected request back to draft."),
    Step(
        "allocate",
        allocation.allocate_request,
        "Reserve stock for what the request still needs.",
        "FEFO (by expiry) or FIFO (by receipt) per item; a chosen lot or bin binds its line. "
        "Never held, quarantined, recalled, rejected or expired stock. What cannot be covered "
        "is the backorder (short).",
    ),
    Step(
        "release",
        allocation.release_request,
        "Release the reservations not on a pick list.",
        "An allocated request goes back to approved.",
    ),
    Step(
        "cancel",
        requests.cancel_request,
        "Cancel a request nothing was picked for.",
        "What was reserved for it is released.",
    ),
    Step(
        "close",
        requests.close_request,
        "Close a partly shipped request.",
        "Its backorder is dropped and what is still reserved for it released.",
    ),
)

#: steps whose service checks its input (a rejection's reason) before the permission
CHECKS_FIRST = frozenset({"reject"})


@dataclass(frozen=True)
class Kind:
    """A request kind and how its group reads on the command line."""

    code: str
    name: str
    noun: str
    machine: Machine
    summary: str
    #: the option naming who asks: a sales order's customer (required), a requisition's
    #: department
    party: str
    party_help: str
    party_required: bool


KINDS: tuple[Kind, ...] = (
    Kind(
        "sales_order", "so", "sales order", SALES_ORDER,
        "Sales orders: raise, approve, allocate, ship, returns.",
        "--customer", "The customer's code.", True,
    ),
    Kind(
        "requisition", "requisition", "requisition", REQUISITION,
        "Material requisitions for production or internal use.",
        "--department", "The requesting department or cost centre.", False,
    ),
)  # fmt: skip


def request_group(kind: Kind) -> typer.Typer:
    """The ``cangku so`` or ``cangku requisition`` group: list, show, create, the steps of
    ``STEPS``, ship and the approval rules (and, for sales orders, customer returns)."""
    states = machine_help(kind.machine)
    app = typer.Typer(no_args_is_help=True)
    number_text = number_help(kind.machine, kind.noun)
    is_sales = kind.code == "sales_order"

    add_list_and_show(app, kind.machine, kind.noun, partner="--customer" if is_sales else None)
    price = "; a sales price per that unit with ITEM=QTY:UNIT@PRICE" if is_sales else ""
    line_help = "ITEM=QTY, ITEM=QTY:UNIT" + (" or ITEM=QTY:UNIT@PRICE" if is_sales else "")

    @app.command(
        epilog=states,
        help=help_text(
            f"Raise a {kind.noun} (a draft, or submitted with --submit).",
            f"Each --line is an item and a quantity in a unit (the base unit by default){price}."
            " Without a price a line is valued at the item's cost. --lot and --from bind a"
            f" line to a lot or a bin: {PER_LINE}.",
        ),
    )
    def create(
        warehouse: WarehouseOpt,
        party: str | None = typer.Option(
            ... if kind.party_required else None, kind.party, help=kind.party_help
        ),
        line: list[str] | None = typer.Option(None, "--line", help=line_help),
        lot: LotOpt = None,
        source: FromOpt = None,
        ship_to: ShipToOpt = None,
        plan: PlanOpt = None,
        planned_on: PlannedOpt = None,
        reference: ReferenceOpt = None,
        submit: SubmitOpt = False,
        note: NoteOpt = None,
        due: DueOpt = None,
        assignee: AssigneeOpt = None,
        idempotency_key: IdemOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        with handled(as_json):
            ctx = context(idempotency_key)
            given = [parse_line(text, with_price=is_sales) for text in line or []]
            items = [g.item for g in given]
            lots, bins = keyed(lot, "--lot", items), keyed(source, "--from", items)
            command = requests.NewRequest(
                kind.code,
                warehouse,
                [
                    requests.RequestLineInput(
                        g.item, g.quantity, g.unit, g.price, lots.get(i), bins.get(i)
                    )
                    for i, g in enumerate(given)
                ],
                customer=party if is_sales else None,
                department=None if is_sales else party,
                ship_to=ship_to,
                plan_reference=plan,
                planned_on=parse_day(planned_on, "planned_on"),
                reference=reference,
                due_on=parse_day(due, "due"),
                note=note,
                assignee=assignee,
                submit=submit,
            )
            show_step(requests.create_request(database(), ctx, command), as_json)

    add_steps(
        app,
        kind.machine,
        kind.noun,
        [
            replace(
                step,
                run=for_kind(step.run, kind.code),
                permission=(
                    step_action(kind.machine.step(step.name).action)
                    if step.name in CHECKS_FIRST
                    else None
                ),
            )
            for step in STEPS
        ],
    )

    @app.command(
        epilog=states,
        help=help_text(
            "Ship what the request has picked.",
            "The picked goods leave the shipping location at their cost; a shipment (SH) "
            "records them with the carrier. What is not picked yet is the backorder.",
        ),
    )
    def ship(
        number: str = typer.Argument(..., help=number_text, show_default=False),
        carrier: Annotated[str | None, typer.Option("--carrier", help="The carrier.")] = None,
        tracking: Annotated[
            str | None, typer.Option("--tracking", help="The carrier's tracking number.")
        ] = None,
        packages: Annotated[
            int | None, typer.Option("--packages", help="How many packages.")
        ] = None,
        note: NoteOpt = None,
        idempotency_key: IdemOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        with handled(as_json):
            ctx = acting(shipping.SHIPMENT_SHIP, idempotency_key)
            result = shipping.ship_request(
                database(), ctx, kind.code, number, carrier=carrier, tracking_number=tracking,
                packages=packages, note=note,
            )  # fmt: skip
            show_step(result, as_json)

    app.add_typer(
        rules_group(kind),
        name="approval-rules",
        help=f"When {kind.noun}s wait for approval.",
    )
    app.command(
        "demand",
        help=help_text(
            "Demand coming in the next days against free stock.",
            "Per warehouse and item: what open sales orders and requisitions (submitted to "
            "partly shipped) due or planned within --days still want, what of it is reserved, "
            "the free stock now and the shortage; shortages first.",
        ),
    )(show_demand)
    return app


def show_demand(
    days: Annotated[int, typer.Option("--days", help="The window, in days from today.")] = 14,
    warehouse: WarehouseFilter = None,
    short: Annotated[bool, typer.Option("--short", help="Only items that fall short.")] = False,
    as_json: JsonOpt = False,
) -> None:
    with handled(as_json):
        if not 0 <= days <= 3650:
            raise InvalidInput("--days is 0 to 3650", code="invalid_days")
        actor = reader(DOCUMENTS_VIEW)
        with database().read() as conn:
            rows = demand(
                conn, expiry_settings(conn).today(utcnow()), days,
                actor.warehouses(DOCUMENTS_VIEW), warehouse, short,
            )  # fmt: skip
        data = [{**vars(row), "shortage": row.shortage} for row in rows]
        emit(data, as_json, lambda d: table(d, DEMAND_COLUMNS))


DEMAND_COLUMNS = [
    "warehouse", "item", "demand", "covered", "available", "shortage", "first_due", "requests"
]  # fmt: skip


# ---------------------------------------------------------------- approval rules
RULE_COLUMNS = ["id", "warehouse", "min_value", "min_quantity", "approver_role"]


def rules_group(kind: Kind) -> typer.Typer:
    """``cangku so approval-rules`` (or ``requisition``): list, add, remove."""
    app = typer.Typer(no_args_is_help=True)

    @app.command(
        "list",
        help=help_text(
            f"List the approval rules of {kind.noun}s.",
            "A request that reaches a rule's value or quantity threshold waits for approval; "
            "a warehouse's own rules are tried before those for every warehouse.",
        ),
    )
    def list_(as_json: JsonOpt = False) -> None:
        with handled(as_json):
            reader(DOCUMENTS_VIEW)
            codes = warehouse_codes(database())
            found = [
                {
                    "id": rule.id,
                    "kind": rule.doc_type,
                    "warehouse": codes.get(rule.warehouse_id) if rule.warehouse_id else None,
                    "min_value": _amount(rule.min_value),
                    "min_quantity": _amount(rule.min_quantity),
                    "approver_role": rule.approver_role,
                }
                for rule in rules.approval_rules(database(), kind.code)
            ]
            emit(found, as_json, lambda rows: table(rows, RULE_COLUMNS))

    @app.command(
        help=help_text(
            f"Add an approval rule for {kind.noun}s.",
            "Give --min-value, --min-quantity or both; without --warehouse it holds in every "
            "warehouse, without --approver-role anyone who may approve them approves.",
        )
    )
    def add(
        min_value: Annotated[
            str | None, typer.Option("--min-value", help="From this value (prices or cost).")
        ] = None,
        min_quantity: Annotated[
            str | None, typer.Option("--min-quantity", help="From this total quantity.")
        ] = None,
        warehouse: Annotated[
            str | None, typer.Option("--warehouse", help="Only in this warehouse.")
        ] = None,
        approver_role: Annotated[
            str | None, typer.Option("--approver-role", help="The role that approves.")
        ] = None,
        idempotency_key: IdemOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        with handled(as_json):
            ctx = acting(rules.APPROVAL_RULE_MANAGE, idempotency_key)
            rule = rules.ApprovalRuleInput(
                kind.code, min_value, min_quantity, warehouse, approver_role
            )
            added = rules.add_approval_rule(database(), ctx, rule)
            emit({"id": added.id, **vars(rule)}, as_json)

    @app.command(help=f"Remove an approval rule of {kind.noun}s.")
    def remove(
        rule_id: Annotated[int, typer.Argument(help="The rule's id (see list).")],
        idempotency_key: IdemOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        with handled(as_json):
            ctx = acting(rules.APPROVAL_RULE_MANAGE, idempotency_key)
            # a rule of the other kind is not this group's to remove
            if all(rule.id != rule_id for rule in rules.approval_rules(database(), kind.code)):
                raise NotFound("approval_rule", rule_id)
            rules.remove_approval_rule(database(), ctx, rule_id)
            emit({"id": rule_id, "removed": True}, as_json)

    return app


def _amount(scaled: int | None) -> str | None:
    return None if scaled is None else str(from_scaled(scaled))


def register(app: typer.Typer) -> None:
    """Add the ``so`` and ``requisition`` groups to ``app``."""
    for kind in KINDS:
        group = request_group(kind)
        if kind.code == "sales_order":
            group.add_typer(
                customer_return.app,
                name="return",
                help=f"Customer returns against a shipment.\n\n{customer_return.STATES}",
            )
        app.add_typer(group, name=kind.name, help=f"{kind.summary}\n\n{machine_help(kind.machine)}")
