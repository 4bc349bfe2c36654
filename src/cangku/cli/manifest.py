"""The top level of the ``cangku`` command tree, without its commands.

``cangku --help`` lists every group and top-level command with its one-sentence summary. The
command modules (``cangku.cli.commands.*``) import the services, the database layer and
their libraries, most of a second in all, so the list is kept here: ``cangku --help`` and
``cangku --version`` read it and import no command module, and ``cangku stock ...`` imports
only ``cangku.cli.commands.stock`` (see ``cangku.cli.lazy``).

``tests/cli/test_manifest_cli.py`` builds the tree from the modules and checks it against this
list, name for name, summary for summary and in this order (the order ``cangku --help``
has always shown: the top-level commands, then the groups, each by module name).
"""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    """A top-level command or group of ``cangku``."""

    #: the word on the command line
    name: str
    #: the module under ``cangku.cli.commands`` that makes it (its ``app`` with ``NAME``,
    #: or its ``register(app)``)
    module: str
    #: the first paragraph of its help, as ``cangku --help`` lists it
    summary: str


MANIFEST: tuple[Entry, ...] = (
    # top-level commands, added by the modules' register(app)
    Entry("login", "auth", "Sign in and keep a personal API token in the token file."),
    Entry("logout", "auth", "Sign out: revoke the token and delete the token file."),
    Entry("whoami", "auth", "Who you are signed in as, with your roles and permissions."),
    Entry("restore", "backup", "Replace the whole database with a backup."),
    Entry("demo", "demo", "Build the demo company and print its sign-ins."),
    Entry("labels", "labels", "Labels to scan, as a PDF."),
    Entry("report", "report", "Analysis reports: value, movement, structure, trends, turnover."),
    Entry("init", "system", "Create or upgrade the database and the first administrator."),
    Entry("serve", "system", "Serve the web pages and the API."),
    Entry("verify", "system", "Check the ledger against balances, costs and the hash chains."),
    Entry("checkpoint", "system", "Record exact stock and value as of a time."),
    Entry("trace", "trace", "A lot's recall trace: where it came from, is and went."),
    Entry(
        "permissions", "users", "Every permission (action) with the built-in roles that hold it."
    ),
    # groups: a module's app under its NAME, or added by its register(app)
    Entry(
        "adjustment", "adjustment", "Adjustments: stock gained, lost or scrapped, with a reason."
    ),
    Entry("alerts", "alerts", "Alerts on stock levels, lots, counts and documents."),
    Entry("audit", "audit", "The audit trail: who changed what, when and from where."),
    Entry("backup", "backup", "Back up the whole database while it runs."),
    Entry("budgets", "budgets", "Purchasing budgets per period, warehouse or category."),
    Entry("categories", "categories", "Item categories (a tree)."),
    Entry("channels", "channels", "Delivery channels: e-mail, webhooks and group robots."),
    Entry("company", "company", "Company settings: currency, time zone, decimals, expiry."),
    Entry("count", "count", "Stock counts: snapshot, count, review, recount, approve, post."),
    Entry("deliveries", "deliveries", "The delivery log: deliveries, retries and replays."),
    Entry("import", "imports", "Import master data, opening stock or moves from a file."),
    Entry("inspect", "inspect", "Inspections (QC) of received goods."),
    Entry("items", "items", "Items (SKUs): units of measure, barcodes, stock levels."),
    Entry("jobs", "jobs", "Background jobs: schedules, last runs, run one now, the worker."),
    Entry("locations", "locations", "Locations: the storage tree and the virtual locations."),
    Entry("lots", "lots", "Lots (batches) and serial numbers."),
    Entry("so", "outbound", "Sales orders: raise, approve, allocate, ship, returns."),
    Entry("requisition", "outbound", "Material requisitions for production or internal use."),
    Entry("partners", "partners", "Partners: suppliers and customers."),
    Entry("pick", "picking", "Pick lists: reserved goods picked for shipping."),
    Entry("ship", "picking", "Shipments: what left, at what cost, delivered."),
    Entry("po", "po", "Purchase orders: raise, confirm, approve, close."),
    Entry("putaway", "putaway", "Put-aways: received goods stored in bins."),
    Entry("reasons", "reason_codes", "Reason codes of adjustments and scrap: the company's lists."),
    Entry("receipt", "receipt", "Receipts of goods, against an order or standalone."),
    Entry("replenish", "replenishment", "Replenishment levels per item and warehouse."),
    Entry("stock", "stock", "Stock operations, on hand, as of, history and value."),
    Entry("suggestions", "suggestions", "Replenishment suggestions and draft orders from them."),
    Entry("returns", "supplier_return", "Returns of goods to their supplier."),
    Entry("db", "system", "Database schema."),
    Entry("period", "system", "Closed periods (the lock date)."),
    Entry("tasks", "tasks", "My tasks: documents whose next step waits on me."),
    Entry("token", "tokens", "Personal API tokens for scripts and integrations."),
    Entry("transfer", "transfer", "Transfers between bins and warehouses, through transit."),
    Entry("export", "transfer_data", "Export master data or opening stock to CSV or XLSX."),
    Entry("units", "units", "Units of measure."),
    Entry("user", "users", "Users: create, disable, roles per warehouse, passwords."),
    Entry("role", "users", "Roles: built-in and custom, their permissions."),
    Entry(
        "warehouses", "warehouses", "Warehouses: each has its virtual locations and ledger chain."
    ),
)

#: other words for a group, by the word they stand for: they run it but ``cangku --help`` does
#: not list them (issue 13 and the manuals of other tools say ``cangku lot hold``; the group is
#: ``lots``, as ``items`` and ``partners`` are plural)
ALIASES: dict[str, str] = {"lot": "lots", "replenishment": "replenish"}
