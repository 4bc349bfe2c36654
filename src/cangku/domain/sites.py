"""Pure rules of warehouses and their location trees: codes, kinds, levels, capacities and
where a location may sit in the tree."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Protocol

from cangku.domain.enums import STORAGE_KINDS, ItemType, LocationKind
from cangku.domain.errors import InvalidInput, RuleViolation
from cangku.domain.quantities import positive_quantity, to_scaled

__all__ = [
    "RESERVED_SUFFIXES",
    "VIRTUAL_LOCATIONS",
    "TreeNode",
    "check_capacity",
    "check_can_have_children",
    "check_flag",
    "check_item_types",
    "check_level",
    "check_location_code",
    "check_move_target",
    "check_name",
    "check_storage_kind",
    "check_warehouse_code",
    "virtual_code",
]

#: virtual kind -> (code suffix, name), in creation order
VIRTUAL_LOCATIONS: list[tuple[LocationKind, str, str]] = [
    (LocationKind.SUPPLIER, "SUPPLIER", "Suppliers"),
    (LocationKind.CUSTOMER, "CUSTOMER", "Customers"),
    (LocationKind.ADJUSTMENT, "ADJUSTMENT", "Inventory adjustment"),
    (LocationKind.SCRAP, "SCRAP", "Scrap"),
    (LocationKind.PRODUCTION, "PRODUCTION", "Production"),
    (LocationKind.TRANSIT, "TRANSIT", "Goods in transit"),
]
RESERVED_SUFFIXES = tuple(f"/{suffix}" for _, suffix, _ in VIRTUAL_LOCATIONS)

_WAREHOUSE_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def virtual_code(warehouse_code: str, suffix: str) -> str:
    return f"{warehouse_code}/{suffix}"


class TreeNode(Protocol):
    """What the tree rules need to know of a location."""

    @property
    def code(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def warehouse(self) -> str: ...
    @property
    def warehouse_id(self) -> int: ...
    @property
    def is_virtual(self) -> bool: ...


def check_name(name: str, limit: int = 200) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > limit:
        raise InvalidInput(f"name must have 1 to {limit} characters", code="invalid_name")
    return name


def check_warehouse_code(code: str) -> str:
    if not isinstance(code, str) or not _WAREHOUSE_CODE.fullmatch(code):
        raise InvalidInput(
            "a warehouse code has 1 to 32 letters, digits, '-' or '_'",
            code="invalid_code",
            field="code",
        )
    return code


def check_flag(value: object, field: str = "allow_negative_stock") -> None:
    """A warehouse's flag (``allow_negative_stock``, ``allow_expired_issue``) in an update:
    true or false (never null)."""
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false", code="invalid_flag", field=field)


def check_location_code(code: str) -> str:
    if not isinstance(code, str) or not 1 <= len(code) <= 100 or any(ch.isspace() for ch in code):
        raise InvalidInput(
            "a location code has 1 to 100 characters and no spaces",
            code="invalid_code",
            field="code",
        )
    if code.upper().endswith(RESERVED_SUFFIXES):
        raise InvalidInput(
            f"location code {code} is reserved for a warehouse's virtual locations",
            code="location_code_reserved",
            field="code",
        )
    return code


def check_storage_kind(kind: str) -> LocationKind:
    """A kind users may create: internal, receiving, quality or shipping."""
    try:
        parsed = LocationKind(kind)
    except ValueError:
        raise InvalidInput(
            f"kind must be one of {', '.join(sorted(str(k) for k in STORAGE_KINDS))}",
            code="invalid_location_kind",
            kind=str(kind)[:40],
        ) from None
    if parsed not in STORAGE_KINDS:
        raise RuleViolation(
            f"{parsed} locations are created with their warehouse, not by users",
            code="virtual_kind_reserved",
            kind=str(parsed),
        )
    return parsed


def check_level(level: str | None) -> str | None:
    if level is not None and (not level.strip() or len(level) > 20):
        raise InvalidInput("a level has 1 to 20 characters", code="invalid_level")
    return level


def check_capacity(value: Decimal | str | int | None) -> int | None:
    """A capacity > 0 as a scaled integer (None: unlimited)."""
    return None if value is None else to_scaled(positive_quantity(value, "capacity"))


def check_item_types(values: list[str] | None) -> str | None:
    """Allowed item types, stored sorted and comma-separated (None: any type)."""
    if not values:
        return None
    known = {str(t) for t in ItemType}
    for value in values:
        if value not in known:
            raise InvalidInput(
                f"unknown item type {str(value)[:40]!r}; one of {', '.join(sorted(known))}",
                code="invalid_item_type",
                item_type=str(value)[:40],
            )
    return ",".join(sorted(set(values)))


def check_can_have_children(parent: TreeNode) -> None:
    if parent.is_virtual:
        raise RuleViolation(
            f"{parent.code} is a virtual location and cannot have children",
            code="virtual_parent",
            parent=parent.code,
        )


def check_move_target(location: TreeNode, parent: TreeNode) -> None:
    """``location`` may move under ``parent``: not virtual, same warehouse, no cycle."""
    check_can_have_children(parent)
    if parent.warehouse_id != location.warehouse_id:
        raise RuleViolation(
            f"{location.code} cannot move to another warehouse ({parent.warehouse})",
            code="cross_warehouse_move",
        )
    if parent.path.startswith(location.path):
        raise RuleViolation(
            f"{parent.code} is {location.code} itself or below it",
            code="location_cycle",
        )
