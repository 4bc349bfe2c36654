"""Roles and permissions: every action is declared once, next to its service.

A service module declares what it lets users do::

    RECEIVE = action("stock.receive", roles=STOCK_HANDLERS, scoped=True)

and passes the action to ``run_write`` (writes) or a face's permission check (reads). The
declaration names the built-in roles that hold the action; ``administrator`` holds every action.
Custom roles list actions by code (stored in ``role_permissions``). A grant gives a user a role
in one warehouse or in all of them; a *scoped* action is then allowed only in the granted
warehouses, an unscoped one (master data) wherever the user holds the role at all.

API tokens narrow a user's permissions further with scope patterns (``stock.*``, ``*.view``,
``*``); they never widen them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache

from cangku.domain.errors import InvalidInput, PermissionDenied

ADMINISTRATOR = "administrator"
WAREHOUSE_MANAGER = "warehouse_manager"
PURCHASER = "purchaser"
RECEIVING_CLERK = "receiving_clerk"
QUALITY_INSPECTOR = "quality_inspector"
PICKER_SHIPPER = "picker_shipper"
STOCK_COUNTER = "stock_counter"
AUDITOR = "auditor"
VIEWER = "viewer"

#: the built-in roles, in the order pages list them
BUILTIN_ROLES = (
    ADMINISTRATOR,
    WAREHOUSE_MANAGER,
    PURCHASER,
    RECEIVING_CLERK,
    QUALITY_INSPECTOR,
    PICKER_SHIPPER,
    STOCK_COUNTER,
    AUDITOR,
    VIEWER,
)
#: every role that works with stock at all (reads of stock, items, lots, locations)
EVERYONE = frozenset(BUILTIN_ROLES) - {ADMINISTRATOR}
#: roles that read everything but change nothing
READ_ONLY = frozenset({AUDITOR, VIEWER})
STAFF = EVERYONE - READ_ONLY


@dataclass(frozen=True)
class Action:
    """Something a user may be allowed to do, e.g. ``stock.receive``."""

    code: str
    roles: frozenset[str]
    scoped: bool = False
    description: str = ""
    #: written to the audit trail when done through ``run_write`` (stock postings are recorded
    #: by the ledger itself, which is hash-chained per warehouse)
    audited: bool = True


_ACTIONS: dict[str, Action] = {}


def action(
    code: str,
    *,
    roles: Iterable[str],
    scoped: bool = False,
    description: str = "",
    audited: bool = True,
) -> Action:
    """Declare an action (once, at import time of its service module)."""
    declared = Action(code, frozenset(roles) | {ADMINISTRATOR}, scoped, description, audited)
    unknown = declared.roles - set(BUILTIN_ROLES)
    if unknown:
        raise ValueError(f"action {code} names unknown roles {sorted(unknown)}")
    existing = _ACTIONS.get(code)
    if existing is not None and existing != declared:
        raise ValueError(f"action {code} is declared twice, differently")
    _ACTIONS[code] = declared
    _BUILTIN.clear()  # a role's permissions change as actions are declared
    return declared


def declared_actions() -> dict[str, Action]:
    """Every action declared so far (services import all their modules to complete it)."""
    return dict(_ACTIONS)


#: each built-in role's permissions, worked out once (every request asks)
_BUILTIN: dict[str, frozenset[str]] = {}


def builtin_permissions(role: str) -> frozenset[str]:
    found = _BUILTIN.get(role)
    if found is None:
        found = frozenset(code for code, act in _ACTIONS.items() if role in act.roles)
        _BUILTIN[role] = found
    return found


def check_permission_codes(codes: Iterable[str]) -> list[str]:
    """Custom roles may only list declared actions."""
    result = sorted(set(codes))
    unknown = [code for code in result if code not in _ACTIONS]
    if unknown:
        raise InvalidInput(
            f"unknown permission {unknown[0]!r}", code="unknown_permission", permission=unknown[0]
        )
    return result


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """Token scopes are action codes or patterns with ``*``; each must match some action."""
    result = sorted(set(scopes))
    if not result:
        raise InvalidInput("a token needs at least one scope", code="invalid_scope")
    for pattern in result:
        if len(pattern) > 64 or not any(fnmatchcase(code, pattern) for code in _ACTIONS):
            raise InvalidInput(
                f"scope {pattern!r} matches no permission", code="invalid_scope", scope=pattern
            )
    return result


#: warehouses an action is allowed in: ``None`` means every warehouse
Warehouses = frozenset[int] | None


@dataclass(frozen=True)
class Grant:
    """A role held by a user, in one warehouse or (``warehouse_id`` None) in all."""

    role: str
    warehouse_id: int | None
    permissions: frozenset[str]


@dataclass(frozen=True)
class Actor:
    """The signed-in user with what they may do (after any token scope)."""

    user_id: int
    username: str
    permissions: Mapping[str, Warehouses] = field(default_factory=dict)

    def may(self, act: Action, warehouse_id: int | None = None) -> bool:
        """``warehouse_id`` None asks "anywhere at all" for a scoped action."""
        if act.code not in self.permissions:
            return False
        allowed = self.permissions[act.code]
        if allowed is None or warehouse_id is None or not act.scoped:
            return True
        return warehouse_id in allowed

    def require(self, act: Action, warehouse_id: int | None = None) -> None:
        """Raise PermissionDenied unless the actor may do ``act`` (in ``warehouse_id``)."""
        if not self.may(act, warehouse_id):
            scoped = warehouse_id is not None and act.scoped
            raise PermissionDenied.to_do(act.code, warehouse_id=warehouse_id if scoped else None)

    def warehouses(self, act: Action) -> Warehouses:
        """Where a scoped action is allowed: ``None`` = everywhere, empty = nowhere."""
        if act.code not in self.permissions:
            return frozenset()
        return self.permissions[act.code] if act.scoped else None


@lru_cache(maxsize=256)
def _in_scope(codes: frozenset[str], patterns: tuple[str, ...]) -> frozenset[str]:
    """The codes some pattern matches (every request with a token asks: a role and a token's
    scopes change seldom, so the answer is kept)."""
    return frozenset(code for code in codes if any(fnmatchcase(code, p) for p in patterns))


def resolve(
    user_id: int, username: str, grants: Iterable[Grant], scopes: Iterable[str] | None = None
) -> Actor:
    """Fold grants into per-action warehouse sets, then narrow them by token scopes."""
    patterns = tuple(scopes) if scopes is not None else None
    merged: dict[str, Warehouses] = {}
    for grant in grants:
        codes = grant.permissions if patterns is None else _in_scope(grant.permissions, patterns)
        for code in codes:
            if grant.warehouse_id is None:
                merged[code] = None
            elif code not in merged:
                merged[code] = frozenset({grant.warehouse_id})
            else:
                current = merged[code]
                if current is not None:
                    merged[code] = current | {grant.warehouse_id}
    return Actor(user_id, username, merged)


def check_separate(first_user: int, second_user: int, what: str) -> None:
    """Separation of duties: the user who did the first step may not do the second."""
    if first_user == second_user:
        raise PermissionDenied(
            f"separation of duties: you cannot {what} yourself", code="separation_of_duties"
        )
