"""The schema. Alembic migrations under ``db/migrations`` are the source of truth for DDL;
this module mirrors them for queries (a test checks that the two agree).

Quantities and money are BIGINT scaled by 1e6 (ADR 0002). Balances and cost layers are
projections of ``moves`` written in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from cangku.db.types import Scaled, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer, "sqlite")
#: scaled figures stay below 10**18 (10**12 units), well inside BIGINT
_LIMIT = 10**18  # SQLite needs INTEGER for rowid aliasing


def _timestamps() -> list[Column[object]]:
    return [
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    ]


users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    *_timestamps(),
    # sign-in (migration 0002): argon2id hash, NULL = cannot sign in with a password
    Column("password_hash", String(255), nullable=True),
    Column("password_changed_at", UTCDateTime, nullable=True),
    Column("last_sign_in_at", UTCDateTime, nullable=True),
    Column("version", Integer, nullable=False, server_default=text("1")),
    # migration 0006: the user's own time zone (IANA name); NULL = the company's
    Column("time_zone", String(64), nullable=True),
)

units = Table(
    "units",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("decimals", Integer, nullable=False),
    CheckConstraint("decimals >= 0 AND decimals <= 6", name="decimals_range"),
)

categories = Table(
    "categories",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", Id, ForeignKey("categories.id"), nullable=True),
    Column("path", String(1000), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    *_timestamps(),
    # migration 0008: received goods of items in this category (or below) are inspected
    Column("inspection_required", Boolean, nullable=False, server_default=text("false")),
)

items = Table(
    "items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("description", Text, nullable=True),
    Column("item_type", String(20), nullable=False),
    Column("category_id", Id, ForeignKey("categories.id"), nullable=True),
    Column("base_unit", String(16), ForeignKey("units.code"), nullable=False),
    Column("tracking", String(10), nullable=False),
    Column("shelf_life_days", Integer, nullable=True),
    Column("costing_method", String(20), nullable=False),
    #: migration 0009: how outbound requests allocate it (fifo, fefo); None: by its tracking
    Column("allocation_strategy", String(8), nullable=True),
    Column("safety_stock", Scaled, nullable=True),
    Column("reorder_point", Scaled, nullable=True),
    Column("max_stock", Scaled, nullable=True),
    Column("lead_time_days", Integer, nullable=True),
    Column("default_location_id", Id, ForeignKey("locations.id"), nullable=True),
    Column("standard_cost", Scaled, nullable=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    *_timestamps(),
    # migration 0008: received goods of this item go through inspection
    Column("inspection_required", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint(
        "item_type IN ('raw_material','semi_finished','finished_good','spare_part','consumable')",
        name="item_type",
    ),
    CheckConstraint("tracking IN ('none','lot','serial')", name="tracking"),
    CheckConstraint("costing_method IN ('fifo','moving_average')", name="costing_method"),
)
Index("ix_items_category", items.c.category_id)

item_units = Table(
    "item_units",
    metadata,
    Column("item_id", Id, ForeignKey("items.id"), primary_key=True),
    Column("unit", String(16), ForeignKey("units.code"), primary_key=True),
    Column("factor", Scaled, nullable=False),  # base units in one of this unit
    CheckConstraint("factor > 0", name="factor_positive"),
)

item_barcodes = Table(
    "item_barcodes",
    metadata,
    Column("barcode", String(64), primary_key=True),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("unit", String(16), ForeignKey("units.code"), nullable=True),
)
Index("ix_item_barcodes_item", item_barcodes.c.item_id)

warehouses = Table(
    "warehouses",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("address", Text, nullable=True),
    Column("allow_negative_stock", Boolean, nullable=False, server_default=text("false")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    *_timestamps(),
    # migration 0006: issuing from an expired lot is refused unless this is set
    Column("allow_expired_issue", Boolean, nullable=False, server_default=text("false")),
    # migration 0008: where receipts land, where inspected goods wait and where rejected goods
    # go (NULL: the first active location of the kind, by code; rejected: the quality one)
    Column("receiving_location_id", Id, nullable=True),
    Column("quality_location_id", Id, nullable=True),
    Column("rejection_location_id", Id, nullable=True),
)

locations = Table(
    "locations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=False),
    Column("parent_id", Id, ForeignKey("locations.id"), nullable=True),
    Column("code", String(100), nullable=False, unique=True),  # e.g. WH1/A/01/03
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("level", String(20), nullable=True),  # zone, aisle, rack, bin, ...
    Column("path", String(1000), nullable=False),  # /1/5/9/ for subtree queries
    Column("capacity", Scaled, nullable=True),
    Column("allowed_item_types", String(200), nullable=True),  # comma-separated
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    *_timestamps(),
    CheckConstraint(
        "kind IN ('internal','receiving','quality','shipping','supplier','customer',"
        "'adjustment','scrap','production','transit')",
        name="kind",
    ),
)
Index("ix_locations_warehouse", locations.c.warehouse_id)
Index("ix_locations_path", locations.c.path)

lots = Table(
    "lots",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("code", String(100), nullable=False),
    Column("is_serial", Boolean, nullable=False, server_default=text("false")),
    Column("manufactured_on", Date, nullable=True),
    Column("expires_on", Date, nullable=True),
    Column("supplier_lot", String(100), nullable=True),
    Column("status", String(20), nullable=False),
    Column("notes", Text, nullable=True),
    Column("version", Integer, nullable=False, server_default=text("1")),
    *_timestamps(),
    UniqueConstraint("item_id", "code", name="uq_lots_item_code"),
    CheckConstraint(
        "status IN ('available','quarantine','hold','recalled','rejected')", name="status"
    ),
)
Index("ix_lots_expires", lots.c.expires_on)

partners = Table(
    "partners",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("is_supplier", Boolean, nullable=False, server_default=text("false")),
    Column("is_customer", Boolean, nullable=False, server_default=text("false")),
    Column("email", String(200), nullable=True),
    Column("phone", String(64), nullable=True),
    Column("address", Text, nullable=True),
    Column("tax_id", String(64), nullable=True),
    Column("notes", Text, nullable=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    *_timestamps(),
    # migration 0008: goods from this supplier are inspected; how far (percent, scaled) a
    # confirmed over-receipt may go past the quantity ordered
    Column("inspection_required", Boolean, nullable=False, server_default=text("false")),
    Column("over_receipt_tolerance", Scaled, nullable=False, server_default=text("0")),
)

partner_contacts = Table(
    "partner_contacts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("partner_id", Id, ForeignKey("partners.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(100), nullable=True),
    Column("email", String(200), nullable=True),
    Column("phone", String(64), nullable=True),
)
Index("ix_partner_contacts_partner", partner_contacts.c.partner_id)

supplier_items = Table(
    "supplier_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("partner_id", Id, ForeignKey("partners.id"), nullable=False),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("supplier_code", String(100), nullable=True),
    Column("price", Scaled, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("min_order_qty", Scaled, nullable=True),
    Column("lead_time_days", Integer, nullable=True),
    UniqueConstraint("partner_id", "item_id", name="uq_supplier_items_partner_item"),
    # migration 0017: orders are in whole packs of this many base units; the supplier that
    # replenishment suggestions order from (at most one per item: the partial unique index)
    Column("pack_size", Scaled, nullable=True),
    Column("preferred", Boolean, nullable=False, server_default=text("false")),
)
Index("ix_supplier_items_item", supplier_items.c.item_id)
Index(
    "uq_supplier_items_preferred",
    supplier_items.c.item_id,
    unique=True,
    sqlite_where=text("preferred"),
    postgresql_where=text("preferred"),
)

# ---------------------------------------------------------------- the ledger
moves = Table(
    "moves",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=False),  # hash chain
    Column("seq", BigInteger, nullable=False),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("lot_id", Id, ForeignKey("lots.id"), nullable=True),
    Column("quantity", Scaled, nullable=False),
    Column("from_location_id", Id, ForeignKey("locations.id"), nullable=False),
    Column("to_location_id", Id, ForeignKey("locations.id"), nullable=False),
    Column("unit_cost", Scaled, nullable=False),
    Column("value", Scaled, nullable=False),
    Column("effective_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("operation", String(20), nullable=False),
    Column("reason_code", String(64), nullable=True),
    Column("document_type", String(40), nullable=True),
    Column("document_id", String(64), nullable=True),
    Column("document_line", Integer, nullable=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("reverses_move_id", Id, ForeignKey("moves.id"), nullable=True),
    Column("note", Text, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("warehouse_id", "seq", name="uq_moves_chain_seq"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
)
Index("ix_moves_item_effective", moves.c.item_id, moves.c.effective_at)
Index("ix_moves_effective", moves.c.effective_at)
Index("ix_moves_from", moves.c.from_location_id, moves.c.effective_at)
Index("ix_moves_to", moves.c.to_location_id, moves.c.effective_at)
# migration 0007: the moves list sorted by quantity (keyset paging, ties by id)
Index("ix_moves_quantity", moves.c.quantity, moves.c.id)
_NOT_NULL = "{} IS NOT NULL"
Index(
    "ix_moves_lot",
    moves.c.lot_id,
    sqlite_where=text(_NOT_NULL.format("lot_id")),
    postgresql_where=text(_NOT_NULL.format("lot_id")),
)
Index(
    "ix_moves_document",
    moves.c.document_type,
    moves.c.document_id,
    sqlite_where=text(_NOT_NULL.format("document_id")),
    postgresql_where=text(_NOT_NULL.format("document_id")),
)
# a move is reversed at most once
Index(
    "uq_moves_reverses_move_id",
    moves.c.reverses_move_id,
    unique=True,
    sqlite_where=text(_NOT_NULL.format("reverses_move_id")),
    postgresql_where=text(_NOT_NULL.format("reverses_move_id")),
)

ledger_heads = Table(
    "ledger_heads",
    metadata,
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

balances = Table(
    "balances",
    metadata,
    Column("item_id", Id, ForeignKey("items.id"), primary_key=True),
    Column("location_id", Id, ForeignKey("locations.id"), primary_key=True),
    Column("lot_key", BigInteger, primary_key=True),  # lot id, 0 for none
    Column("lot_id", Id, ForeignKey("lots.id"), nullable=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=False),
    Column("on_hand", Scaled, nullable=False),
    Column("reserved", Scaled, nullable=False, server_default=text("0")),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("reserved = 0 OR reserved <= on_hand", name="reserved_within_on_hand"),
    # SQLite turns an overflowing integer sum into a float: refuse it instead of storing it
    CheckConstraint(f"on_hand > -{_LIMIT} AND on_hand < {_LIMIT}", name="on_hand_range"),
)
Index("ix_balances_location", balances.c.location_id)
Index("ix_balances_warehouse_item", balances.c.warehouse_id, balances.c.item_id)
# migration 0007: the stock list sorted by on hand or available (keyset paging, ties by key)
_BALANCE_KEY = (balances.c.item_id, balances.c.location_id, balances.c.lot_key)
Index("ix_balances_on_hand", balances.c.on_hand, *_BALANCE_KEY)
Index("ix_balances_available", balances.c.on_hand - balances.c.reserved, *_BALANCE_KEY)
# migration 0007: the few reserved balances, for the whole stock's sums (queries.stock.totals)
Index(
    "ix_balances_reserved",
    balances.c.item_id,
    sqlite_where=text("reserved <> 0"),
    postgresql_where=text("reserved <> 0"),
)

item_costs = Table(
    "item_costs",
    metadata,
    Column("item_id", Id, ForeignKey("items.id"), primary_key=True),
    Column("quantity", Scaled, nullable=False),  # valued quantity
    Column("value", Scaled, nullable=False),
    Column("last_cost", Scaled, nullable=False),
    CheckConstraint(
        f"quantity > -{_LIMIT} AND quantity < {_LIMIT} AND value > -{_LIMIT} AND value < {_LIMIT}",
        name="totals_range",
    ),
)

cost_layers = Table(
    "cost_layers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("move_id", Id, ForeignKey("moves.id"), nullable=False),
    Column("quantity", Scaled, nullable=False),
    Column("unit_cost", Scaled, nullable=False),
    Column("remaining_qty", Scaled, nullable=False),
    Column("remaining_value", Scaled, nullable=False),
    CheckConstraint("remaining_qty >= 0", name="remaining_not_negative"),
)
Index("ix_cost_layers_open", cost_layers.c.item_id, cost_layers.c.remaining_qty, cost_layers.c.id)
Index("ix_cost_layers_move", cost_layers.c.move_id)

periods = Table(
    "periods",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("closed_through", Date, nullable=False, unique=True),
    Column("closed_at", UTCDateTime, nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("note", Text, nullable=True),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("as_of", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("valid", Boolean, nullable=False, server_default=text("true")),
    #: the checkpoint's flow rows sum the moves after this earlier checkpoint (None: after
    #: none, from the ledger's start); meaningful when ``flows`` (migration 0014, ADR 0027)
    Column("flows_from", Id, nullable=True),
    Column("flows", Boolean, nullable=False, server_default=text("false")),
)

checkpoint_balances = Table(
    "checkpoint_balances",
    metadata,
    Column("checkpoint_id", Id, ForeignKey("checkpoints.id"), primary_key=True),
    Column("item_id", Id, primary_key=True),
    Column("location_id", Id, primary_key=True),
    Column("lot_key", BigInteger, primary_key=True),
    Column("on_hand", Scaled, nullable=False),
)

checkpoint_values = Table(
    "checkpoint_values",
    metadata,
    Column("checkpoint_id", Id, ForeignKey("checkpoints.id"), primary_key=True),
    Column("item_id", Id, primary_key=True),
    Column("quantity", Scaled, nullable=False),
    Column("value", Scaled, nullable=False),
)

#: the moves between a checkpoint and the one before it (``checkpoints.flows_from``) that
#: crossed into or out of stock, summed per item and per the kinds and warehouses of their two
#: sides (and whether they were a return or a reversal): the period reports read these for the
#: whole months between their edges instead of every move (migration 0014, ADR 0027). Kept
#: and invalidated with their checkpoint; the moves stay the truth.
checkpoint_flows = Table(
    "checkpoint_flows",
    metadata,
    Column("checkpoint_id", Id, ForeignKey("checkpoints.id"), primary_key=True),
    Column("item_id", Id, primary_key=True),
    Column("from_kind", String(20), primary_key=True),
    Column("to_kind", String(20), primary_key=True),
    Column("from_warehouse_id", Id, primary_key=True),
    Column("to_warehouse_id", Id, primary_key=True),
    Column("back", Boolean, primary_key=True),
    Column("quantity", Scaled, nullable=False),
    Column("value", Scaled, nullable=False),
    #: the latest of the moves' effective times (the last issue of an item, say)
    Column("last_at", UTCDateTime, nullable=False),
)

#: the results of writes made with an idempotency key, per user: a key is the sender's own (a
#: user's key never answers another user's request); ``checks`` are the permission checks the
#: first run passed (JSON ``[[action, warehouse id or null], ...]``), run again on a replay;
#: rows older than migration 0005 without a user belong to nobody (ADR 0013)
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("response", Text, nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=True),
    Column("checks", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),
)


# ---------------------------------------------------------------- security (migration 0002)

roles = Table(
    "roles",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=True),
    # built-in roles take their permissions from the code (each action names its roles)
    Column("builtin", Boolean, nullable=False, server_default=text("false")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    *_timestamps(),
)

role_permissions = Table(
    "role_permissions",
    metadata,
    Column("role_id", Id, ForeignKey("roles.id"), primary_key=True),
    Column("permission", String(64), primary_key=True),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", Id, ForeignKey("users.id"), primary_key=True),
    Column("role_id", Id, ForeignKey("roles.id"), primary_key=True),
    # the warehouse the grant is limited to; 0 = every warehouse (a key column cannot be NULL)
    Column("warehouse_key", BigInteger, primary_key=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=True),
    Column("granted_by", Id, ForeignKey("users.id"), nullable=True),
    Column("granted_at", UTCDateTime, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    # sha256 of the cookie value: a stolen database does not yield live sessions
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(200), nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
)
Index("ix_sessions_user", sessions.c.user_id)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    # the first characters of the token, shown in lists so a user can tell tokens apart
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    # space-separated permission patterns ("stock.*", "*.view", "*")
    Column("scopes", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
)
Index("ix_api_tokens_user", api_tokens.c.user_id)

sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("ip", String(64), nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("succeeded", Boolean, nullable=False),
)
Index("ix_sign_in_attempts_username", sign_in_attempts.c.username, sign_in_attempts.c.at)
Index("ix_sign_in_attempts_ip", sign_in_attempts.c.ip, sign_in_attempts.c.at)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("at", UTCDateTime, nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=True),
    Column("username", String(64), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target_type", String(32), nullable=True),
    Column("target", String(200), nullable=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=True),
    Column("origin", String(200), nullable=True),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_log_at", audit_log.c.at)
Index("ix_audit_log_action", audit_log.c.action, audit_log.c.at)
Index("ix_audit_log_target", audit_log.c.target_type, audit_log.c.target)
Index("ix_audit_log_user", audit_log.c.user_id, audit_log.c.at)

#: one row (id 1): the head of the audit chain, locked by every audited write
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

#: receipts that settled negative stock (ADR 0012): the settled quantity and the cost of goods
#: the negative issues lacked (quantity x receipt cost - what the receipt added to stock);
#: append-only, written with the move (migration 0003)
cost_corrections = Table(
    "cost_corrections",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("move_id", Id, ForeignKey("moves.id"), nullable=False),
    Column("quantity", Scaled, nullable=False),
    Column("amount", Scaled, nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)
Index("ix_cost_corrections_item", cost_corrections.c.item_id, cost_corrections.c.move_id)

#: one row per import of moves (services/bulk.py, ADR 0011): what identifies it (the digest of
#: its moves, the idempotency key), who ran it and when, and how far it got; a chunked import
#: resumes after ``moves_posted`` when the digest of its first moves still is ``prefix_digest``
#: (migration 0004)
move_imports = Table(
    "move_imports",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("digest", String(64), nullable=False),
    Column("prefix_digest", String(64), nullable=False),
    Column("idempotency_key", String(200), nullable=True),  # unique per user (ADR 0013)
    Column("repeat_of", Id, ForeignKey("move_imports.id"), nullable=True),
    Column("source", String(200), nullable=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("status", String(16), nullable=False),
    Column("chunked", Boolean, nullable=False),
    Column("batch_size", Integer, nullable=False),
    Column("moves_total", BigInteger, nullable=True),
    Column("moves_posted", BigInteger, nullable=False),
    Column("stop_code", String(64), nullable=True),
    Column("stop_move", BigInteger, nullable=True),
    CheckConstraint("status IN ('running','stopped','posted')", name="status"),
    CheckConstraint("moves_posted >= 0", name="moves_posted_not_negative"),
    UniqueConstraint("user_id", "idempotency_key", name="uq_move_imports_user_key"),
)
Index("ix_move_imports_digest", move_imports.c.digest, move_imports.c.status)
Index("ix_move_imports_status", move_imports.c.status, move_imports.c.chunked)

#: company settings, one row (id 1, created by migration 0006): how money, unit costs and
#: times are shown and read in, and when a lot counts as expiring soon
company = Table(
    "company",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False, server_default=text("''")),
    Column("currency", String(3), nullable=False, server_default=text("'CNY'")),
    Column("time_zone", String(64), nullable=False, server_default=text("'UTC'")),
    Column("unit_cost_places", Integer, nullable=False, server_default=text("4")),
    Column("expiring_soon_days", Integer, nullable=False, server_default=text("30")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("updated_at", UTCDateTime, nullable=True),
    CheckConstraint("id = 1", name="single_row"),
    # migration 0008: purchase orders worth more than this (scaled money) need approval by
    # someone other than the buyer; NULL: none do
    Column("po_approval_threshold", Scaled, nullable=True),
    # migration 0010: adjustments worth more than this (scaled money, gains and losses
    # together) need approval by someone other than who raised them; NULL: none do
    Column("adjustment_approval_threshold", Scaled, nullable=True),
    CheckConstraint("unit_cost_places BETWEEN 0 AND 6", name="unit_cost_places_range"),
    CheckConstraint("expiring_soon_days BETWEEN 0 AND 3650", name="expiring_soon_days_range"),
)


# ---------------------------------------------------------------- documents (migration 0008)
#: the last number given per document type, warehouse and year (taken under the row's lock)
document_counters = Table(
    "document_counters",
    metadata,
    Column("doc_type", String(32), primary_key=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)

#: every workflow document's header: its machine (``domain.documents``) says what ``state``
#: means and which step comes next
documents = Table(
    "documents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("doc_type", String(32), nullable=False),
    Column("number", String(64), nullable=False, unique=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=False),
    Column("partner_id", Id, ForeignKey("partners.id"), nullable=True),
    #: the document this one was made from (a receipt's order, an inspection's receipt)
    Column("origin_id", Id, ForeignKey("documents.id"), nullable=True),
    Column("state", String(32), nullable=False),
    Column("created_by", Id, ForeignKey("users.id"), nullable=False),
    Column("assignee_id", Id, ForeignKey("users.id"), nullable=True),
    Column("due_on", Date, nullable=True),
    #: the partner's reference: a supplier's delivery note, their order number
    Column("reference", String(100), nullable=True),
    Column("note", Text, nullable=True),
    Column("total_value", Scaled, nullable=True),
    Column("approved_by", Id, ForeignKey("users.id"), nullable=True),
    Column("version", Integer, nullable=False, server_default=text("1")),
    *_timestamps(),
    Column("closed_at", UTCDateTime, nullable=True),
    # migration 0009 (outbound): the plan a request serves, where it goes, how it left
    #: a sales order's ship-to address; a requisition's requesting department
    Column("ship_to", Text, nullable=True),
    Column("department", String(100), nullable=True),
    #: the sales or production plan served: its order number and planned date
    Column("plan_reference", String(100), nullable=True),
    Column("planned_on", Date, nullable=True),
    #: a shipment's carrier, tracking number and number of packages
    Column("carrier", String(100), nullable=True),
    Column("tracking_number", String(100), nullable=True),
    Column("packages", Integer, nullable=True),
    # migration 0010: a transfer's destination warehouse (``warehouse_id`` is where it leaves
    # from); no foreign key, as SQLite cannot add one to an existing table: the service checks it
    Column("to_warehouse_id", Id, nullable=True),
)
Index("ix_documents_inbox", documents.c.doc_type, documents.c.state, documents.c.warehouse_id)
Index("ix_documents_assignee", documents.c.assignee_id, documents.c.state)
Index("ix_documents_origin", documents.c.origin_id)
Index("ix_documents_due", documents.c.due_on, documents.c.id)

document_lines = Table(
    "document_lines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    #: base units (scaled): ordered, expected, to inspect, to put away, to return
    Column("quantity", Scaled, nullable=False),
    #: base units done so far: received, inspected, put away, returned
    Column("done", Scaled, nullable=False, server_default=text("0")),
    Column("accepted", Scaled, nullable=False, server_default=text("0")),
    Column("rejected", Scaled, nullable=False, server_default=text("0")),
    #: the unit the line was entered in, its quantity in it and its price per it
    Column("unit", String(16), ForeignKey("units.code"), nullable=True),
    Column("unit_quantity", Scaled, nullable=True),
    Column("unit_price", Scaled, nullable=True),
    #: the price per base unit (scaled), what receipts cost the goods at
    Column("base_price", Scaled, nullable=True),
    Column("expected_on", Date, nullable=True),
    Column("lot_id", Id, ForeignKey("lots.id"), nullable=True),
    #: where the goods are (receiving, quality) and where they go (a bin)
    Column("location_id", Id, ForeignKey("locations.id"), nullable=True),
    Column("target_location_id", Id, ForeignKey("locations.id"), nullable=True),
    #: the line of the document this one comes from (a receipt line's order line)
    Column("source_line_id", Id, ForeignKey("document_lines.id"), nullable=True),
    #: the move that brought these goods in (a return gives back that move's cost layer)
    Column("move_id", Id, ForeignKey("moves.id"), nullable=True),
    Column("reason_code", String(64), nullable=True),
    Column("sample_size", Scaled, nullable=True),
    Column("note", Text, nullable=True),
    #: migration 0009: a returned line's disposition (restock, inspect, scrap)
    Column("disposition", String(16), nullable=True),
    #: migration 0010: an adjustment line's direction (gain, loss, scrap)
    Column("direction", String(8), nullable=True),
    #: migration 0010: of a transfer line's discrepancy (dispatched - received), what a manager
    #: has resolved (lost in transit, returned, found later)
    Column("resolved", Scaled, nullable=False, server_default=text("0")),
    UniqueConstraint("document_id", "line_no", name="uq_document_lines_document_line"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("done >= 0 AND accepted >= 0 AND rejected >= 0", name="done_not_negative"),
)
Index("ix_document_lines_source", document_lines.c.source_line_id)
Index("ix_document_lines_item", document_lines.c.item_id)

#: a document's timeline: every step, who took it and when, and what it wrote
document_events = Table(
    "document_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("step", String(32), nullable=False),
    Column("from_state", String(32), nullable=True),
    Column("to_state", String(32), nullable=False),
    Column("note", Text, nullable=True),
    #: JSON: the moves written, the lines touched, who was assigned
    Column("data", Text, nullable=True),
)
Index("ix_document_events_document", document_events.c.document_id, document_events.c.id)

#: what to tell whom after a commit, written in the step's transaction
outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("topic", String(40), nullable=False),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=True),
    Column("payload", Text, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
)
Index(
    "ix_outbox_pending",
    outbox.c.id,
    sqlite_where=text("delivered_at IS NULL"),
    postgresql_where=text("delivered_at IS NULL"),
)

#: in-app notifications (delivered from the outbox)
notifications = Table(
    "notifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=True),
    Column("message", Text, nullable=False),
    Column("read_at", UTCDateTime, nullable=True),
)
Index("ix_notifications_user", notifications.c.user_id, notifications.c.id)

#: where received goods are put away: by item, category or item type, first by priority
putaway_rules = Table(
    "putaway_rules",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=False),
    Column("item_id", Id, ForeignKey("items.id"), nullable=True),
    Column("category_id", Id, ForeignKey("categories.id"), nullable=True),
    Column("item_type", String(20), nullable=True),
    Column("location_id", Id, ForeignKey("locations.id"), nullable=False),
    Column("priority", Integer, nullable=False, server_default=text("100")),
    CheckConstraint(
        "(CASE WHEN item_id IS NULL THEN 0 ELSE 1 END"
        " + CASE WHEN category_id IS NULL THEN 0 ELSE 1 END"
        " + CASE WHEN item_type IS NULL THEN 0 ELSE 1 END) = 1",
        name="one_subject",
    ),
)
Index("ix_putaway_rules_warehouse", putaway_rules.c.warehouse_id)


# ---------------------------------------------------------------- outbound (migration 0009)
#: reservations as rows: each belongs to a request line (or is a bare reservation made by the
#: stock.reserve operation, without a document) and names the balance it holds; a balance's
#: ``reserved`` is the sum of its rows (``verify`` proves it)
allocations = Table(
    "allocations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=True),
    Column("line_id", Id, ForeignKey("document_lines.id"), nullable=True),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("location_id", Id, ForeignKey("locations.id"), nullable=False),
    Column("lot_key", BigInteger, nullable=False),
    Column("lot_id", Id, ForeignKey("lots.id"), nullable=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=False),
    Column("quantity", Scaled, nullable=False),
    #: the pick list line that picks it (None: not on a pick list yet)
    Column("pick_line_id", Id, ForeignKey("document_lines.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", Id, ForeignKey("users.id"), nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)
Index(
    "ix_allocations_balance",
    allocations.c.item_id,
    allocations.c.location_id,
    allocations.c.lot_key,
)
Index("ix_allocations_line", allocations.c.line_id)
Index("ix_allocations_document", allocations.c.document_id)

#: when an outbound request waits for approval: per kind, warehouse (None: every one) and a
#: value or quantity threshold; the approver holds ``approver_role`` when one is named
approval_rules = Table(
    "approval_rules",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("doc_type", String(32), nullable=False),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=True),
    Column("min_value", Scaled, nullable=True),
    Column("min_quantity", Scaled, nullable=True),
    Column("approver_role", String(64), nullable=True),
    CheckConstraint("min_value IS NOT NULL OR min_quantity IS NOT NULL", name="has_threshold"),
    CheckConstraint("min_value IS NULL OR min_value >= 0", name="min_value_not_negative"),
    CheckConstraint("min_quantity IS NULL OR min_quantity >= 0", name="min_quantity_not_negative"),
)


# ---------------------------------------------------------------- internal (migration 0010)
#: a lot's status history: every hold, quarantine, recall, rejection and release, who made it,
#: when and why (and the document that caused it, if one did)
lot_events = Table(
    "lot_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("lot_id", Id, ForeignKey("lots.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("from_status", String(16), nullable=False),
    Column("to_status", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=True),
)
Index("ix_lot_events_lot", lot_events.c.lot_id, lot_events.c.id)

#: the company's reason codes for adjustments and scrap: the built-in ones (labels translated
#: by the faces) and its own (labelled here); an inactive code is kept for the moves that name it
reason_codes = Table(
    "reason_codes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("code", String(64), nullable=False),
    Column("label", String(200), nullable=True),
    Column("label_zh", String(200), nullable=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("builtin", Boolean, nullable=False, server_default=text("false")),
    Column("position", Integer, nullable=False, server_default=text("100")),
    UniqueConstraint("kind", "code", name="uq_reason_codes_kind_code"),
)


# ---------------------------------------------------------------- counts (migration 0011)
#: a count session (its document is a ``count``): what it covers (JSON: warehouse, zones,
#: locations, items, categories), whether its counters see the expected figures, and when its
#: snapshot was taken
count_sessions = Table(
    "count_sessions",
    metadata,
    Column("document_id", Id, ForeignKey("documents.id"), primary_key=True),
    Column("blind", Boolean, nullable=False, server_default=text("false")),
    Column("scope", Text, nullable=False),
    Column("snapshot_at", UTCDateTime, nullable=True),
)

#: the ledger's position when a count's snapshot was taken: every warehouse's last sequence
#: (a move into one warehouse's bin may be chained in another's), so "the moves since" is exact
count_heads = Table(
    "count_heads",
    metadata,
    Column("document_id", Id, ForeignKey("documents.id"), primary_key=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

#: a count's places (item, location, lot): expected at the snapshot (0 for one found that was
#: not expected), counted (by whom, when, in which round; a recount is another counter's round),
#: and, from its closing, the moves since the snapshot (NULL: none) and the unit cost (kept only
#: where the line differs: elsewhere it values nothing)
count_lines = Table(
    "count_lines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=False),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("location_id", Id, ForeignKey("locations.id"), nullable=False),
    Column("lot_key", BigInteger, nullable=False),
    Column("lot_id", Id, ForeignKey("lots.id"), nullable=True),
    Column("expected", Scaled, nullable=False, server_default=text("0")),
    Column("in_snapshot", Boolean, nullable=False, server_default=text("true")),
    Column("counted", Scaled, nullable=True),
    Column("counted_by", Id, ForeignKey("users.id"), nullable=True),
    Column("counted_at", UTCDateTime, nullable=True),
    Column("round", Integer, nullable=False, server_default=text("1")),
    Column("earlier_counter_id", Id, ForeignKey("users.id"), nullable=True),
    Column("moved", Scaled, nullable=True),
    Column("unit_cost", Scaled, nullable=True),
    CheckConstraint("counted IS NULL OR counted >= 0", name="counted_not_negative"),
    UniqueConstraint(
        "document_id", "item_id", "location_id", "lot_key", name="uq_count_lines_place"
    ),
)


# ---------------------------------------------------------------- cycle counts (migration 0012)
#: one computation of ABC classes for a warehouse: from the consumption value (issues to
#: customers and production, less what came back) over a period, kept per period so a plan
#: and a report can say which classes they used
abc_runs = Table(
    "abc_runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
    Column("computed_by", Id, ForeignKey("users.id"), nullable=False),
    Column("total", Scaled, nullable=False),
    CheckConstraint("period_start <= period_end", name="period_in_order"),
    # migration 0013: the whole weeks (ending on the period's last day) XYZ was computed over
    Column("weeks", Integer, nullable=True),
)
Index("ix_abc_runs_warehouse", abc_runs.c.warehouse_id, abc_runs.c.id)

#: an item's class in a run and the consumption value it was ranked by (scaled money)
abc_classes = Table(
    "abc_classes",
    metadata,
    Column("run_id", Id, ForeignKey("abc_runs.id"), primary_key=True),
    Column("item_id", Id, ForeignKey("items.id"), primary_key=True),
    Column("abc_class", String(1), nullable=False),
    Column("consumption", Scaled, nullable=False),
    CheckConstraint("abc_class IN ('A','B','C')", name="abc_class_known"),
    # migration 0013: X, Y or Z from the coefficient of variation of the weekly demand (scaled
    # by 10**6; NULL: no demand, Z)
    Column("xyz_class", String(1), nullable=True),
    Column("demand_cv", Scaled, nullable=True),
)

#: how often places are counted, in days: per ABC class, or per location (the location and
#: everything under it; the nearest such location wins over the class)
count_frequencies = Table(
    "count_frequencies",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("abc_class", String(1), nullable=True, unique=True),
    Column("location_id", Id, ForeignKey("locations.id"), nullable=True, unique=True),
    Column("days", Integer, nullable=False),
    Column("updated_by", Id, ForeignKey("users.id"), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("(abc_class IS NULL) <> (location_id IS NULL)", name="class_or_location"),
    CheckConstraint("abc_class IS NULL OR abc_class IN ('A','B','C')", name="abc_class_known"),
    CheckConstraint("days BETWEEN 1 AND 3650", name="days_range"),
)

#: the places (item, location) a count of the cycle-count plan covers, chosen when it was raised
count_plan_places = Table(
    "count_plan_places",
    metadata,
    Column("document_id", Id, ForeignKey("documents.id"), primary_key=True),
    Column("item_id", Id, ForeignKey("items.id"), primary_key=True),
    Column("location_id", Id, ForeignKey("locations.id"), primary_key=True),
)


# ---------------------------------------------------------------- delivery (migration 0015)
#: where notifications go beyond the app (ADR 0029): an e-mail address, a signed webhook or a
#: group robot (WeCom, DingTalk, Feishu). ``secret`` signs the webhooks (HMAC) and the DingTalk
#: and Feishu robots, or is the SMTP password; it is stored as given for now (not encrypted).
#: ``config`` is JSON: the SMTP host, port, sender and STARTTLS for e-mail, the robots' msgtype
channels = Table(
    "channels",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(200), nullable=False, unique=True),
    Column("target", Text, nullable=False),
    Column("secret", Text, nullable=True),
    Column("config", Text, nullable=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("kind IN ('email','webhook','wecom','dingtalk','feishu')", name="kind_known"),
)

#: who hears of a topic (an outbox topic such as ``task``, or ``alert.low_stock``): a user (in
#: the app) or a channel, in one warehouse or (NULL) every one; only outbox rows written since
#: the subscription are delivered to it
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=True),
    Column("channel_id", Id, ForeignKey("channels.id"), nullable=True),
    Column("topic", String(64), nullable=False),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("(user_id IS NULL) <> (channel_id IS NULL)", name="user_or_channel"),
)
Index("ix_subscriptions_topic", subscriptions.c.topic)

#: the delivery log: one row per (outbox row, channel), made once even by concurrent dispatchers
#: (the unique constraint); a replay is a new row naming the one it replays (no outbox row).
#: pending: waiting for its next attempt; sent; failed: refused for good (not retried); dead:
#: every attempt of the backoff schedule failed
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("outbox_id", Id, ForeignKey("outbox.id"), nullable=True),
    Column("channel_id", Id, ForeignKey("channels.id"), nullable=False),
    Column("replay_of", Id, ForeignKey("deliveries.id"), nullable=True),
    Column("topic", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(8), nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("outbox_id", "channel_id"),
    CheckConstraint("status IN ('pending','sent','failed','dead')", name="status_known"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
)
Index(
    "ix_deliveries_due",
    deliveries.c.next_attempt_at,
    sqlite_where=text("status = 'pending'"),
    postgresql_where=text("status = 'pending'"),
)
Index("ix_deliveries_channel", deliveries.c.channel_id, deliveries.c.id)
#: the dispatcher reads the outbox rows of its look-back window by time
Index("ix_outbox_created_at", outbox.c.created_at)


# ---------------------------------------------------------------- alerts (migration 0016)
#: an alert (ADR 0030): a condition (``kind`` about ``subject_key``, such as low stock of an
#: item in a warehouse) seen to hold from ``opened_at`` until ``closed_at``; the partial unique
#: index keeps at most one open alert per condition, whoever opens it. Figures are JSON: as
#: when it opened, and as last seen (``changed_at``: when those last changed)
alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("subject_key", String(200), nullable=False),
    Column("title", String(300), nullable=False),
    Column("item_id", Id, ForeignKey("items.id"), nullable=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=True),
    Column("lot_id", Id, ForeignKey("lots.id"), nullable=True),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=True),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("opened_figures", Text, nullable=False),
    Column("last_figures", Text, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    Column("acknowledged_by", Id, ForeignKey("users.id"), nullable=True),
    Column("acknowledged_at", UTCDateTime, nullable=True),
)
Index(
    "uq_alerts_open_kind_subject",
    alerts.c.kind,
    alerts.c.subject_key,
    unique=True,
    sqlite_where=text("closed_at IS NULL"),
    postgresql_where=text("closed_at IS NULL"),
)
Index("ix_alerts_warehouse", alerts.c.warehouse_id, alerts.c.id)


# ---------------------------------------------------------------- replenishment (migration 0017)
#: an item's levels in a warehouse (ADR 0032): as last computed (``computed_at``; demand per day,
#: lead time in days, the forecast method and its backtest error, the ABC class and service
#: level, and the whole working as JSON) and, beside them, a manual override of any of the three
#: levels with who set it, when and why. The level in force: the override, else the computed
#: one, else the item's own (``items.safety_stock`` ...)
replenishment_levels = Table(
    "replenishment_levels",
    metadata,
    Column("item_id", Id, ForeignKey("items.id"), primary_key=True),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), primary_key=True),
    Column("computed_at", UTCDateTime, nullable=True),
    Column("method", String(24), nullable=True),
    Column("mae", Scaled, nullable=True),
    Column("mase", Scaled, nullable=True),
    Column("demand", Scaled, nullable=True),
    Column("demand_sd", Scaled, nullable=True),
    Column("lead_time", Scaled, nullable=True),
    Column("lead_time_sd", Scaled, nullable=True),
    Column("lead_time_source", String(12), nullable=True),
    Column("lead_time_samples", Integer, nullable=True),
    Column("abc_class", String(1), nullable=True),
    Column("service_level", Scaled, nullable=True),
    Column("z", Scaled, nullable=True),
    Column("safety_stock", Scaled, nullable=True),
    Column("reorder_point", Scaled, nullable=True),
    Column("order_up_to", Scaled, nullable=True),
    Column("working", Text, nullable=True),
    Column("override_safety_stock", Scaled, nullable=True),
    Column("override_reorder_point", Scaled, nullable=True),
    Column("override_order_up_to", Scaled, nullable=True),
    Column("override_reason", Text, nullable=True),
    Column("override_by", Id, ForeignKey("users.id"), nullable=True),
    Column("override_at", UTCDateTime, nullable=True),
    CheckConstraint("abc_class IS NULL OR abc_class IN ('A','B','C')", name="abc_class_known"),
    CheckConstraint("(override_by IS NULL) = (override_at IS NULL)", name="override_signed"),
)
Index(
    "ix_replenishment_levels_warehouse",
    replenishment_levels.c.warehouse_id,
    replenishment_levels.c.item_id,
)

#: how much may be spent on purchase orders placed in a period (scaled money): in total (no
#: warehouse, no category), for one warehouse, or for one category (and those under it)
purchase_budgets = Table(
    "purchase_budgets",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("warehouse_id", Id, ForeignKey("warehouses.id"), nullable=True),
    Column("category_id", Id, ForeignKey("categories.id"), nullable=True),
    Column("amount", Scaled, nullable=False),
    Column("note", Text, nullable=True),
    Column("updated_by", Id, ForeignKey("users.id"), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("period_start <= period_end", name="period_in_order"),
    CheckConstraint("amount >= 0", name="amount_not_negative"),
)
Index("ix_purchase_budgets_period", purchase_budgets.c.period_start, purchase_budgets.c.period_end)
