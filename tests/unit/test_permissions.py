"""Roles, grants, warehouse scope and token scopes, without a database."""

from __future__ import annotations

import pytest

from cangku.domain.errors import InvalidInput, PermissionDenied
from cangku.domain.passwords import check_password
from cangku.domain.permissions import (
    ADMINISTRATOR,
    AUDITOR,
    BUILTIN_ROLES,
    RECEIVING_CLERK,
    VIEWER,
    Grant,
    action,
    builtin_permissions,
    check_permission_codes,
    check_scopes,
    check_separate,
    declared_actions,
    resolve,
)
from cangku.services import load_all
from cangku.services.items import ITEM_CREATE, ITEM_VIEW
from cangku.services.stock import STOCK_RECEIVE, STOCK_VIEW

load_all()


def clerk_of(*warehouses: int | None) -> list[Grant]:
    return [Grant(RECEIVING_CLERK, w, builtin_permissions(RECEIVING_CLERK)) for w in warehouses]


def test_the_administrator_holds_every_declared_action() -> None:
    assert builtin_permissions(ADMINISTRATOR) == frozenset(declared_actions())


def test_read_only_roles_hold_no_action_that_writes() -> None:
    writes = {
        code
        for code in declared_actions()
        if not code.endswith((".view", ".verify")) and code != "user.view"
    }
    assert builtin_permissions(VIEWER) & writes == set()
    assert builtin_permissions(AUDITOR) & writes == set()


def test_every_builtin_role_can_see_items() -> None:
    assert all(ITEM_VIEW.code in builtin_permissions(role) for role in BUILTIN_ROLES)


def test_a_scoped_grant_allows_the_action_only_in_its_warehouse() -> None:
    actor = resolve(7, "clerk", clerk_of(1))
    assert actor.may(STOCK_RECEIVE, 1) is True
    assert actor.may(STOCK_RECEIVE, 2) is False
    assert actor.may(STOCK_RECEIVE) is True  # somewhere
    assert actor.warehouses(STOCK_VIEW) == frozenset({1})
    with pytest.raises(PermissionDenied) as refused:
        actor.require(STOCK_RECEIVE, 2)
    assert refused.value.code == "permission_denied"
    assert refused.value.data == {"permission": "stock.receive"}


def test_grants_in_two_warehouses_add_up_and_an_all_warehouse_grant_wins() -> None:
    assert resolve(7, "c", clerk_of(1, 2)).warehouses(STOCK_VIEW) == frozenset({1, 2})
    assert resolve(7, "c", clerk_of(1, None, 2)).warehouses(STOCK_VIEW) is None


def test_an_unscoped_action_is_allowed_wherever_the_role_is_held() -> None:
    actor = resolve(7, "clerk", clerk_of(1))
    assert actor.may(ITEM_VIEW, 2) is True
    assert actor.warehouses(ITEM_VIEW) is None
    assert actor.may(ITEM_CREATE) is False
    assert actor.warehouses(ITEM_CREATE) == frozenset()


def test_token_scopes_narrow_and_never_widen() -> None:
    grants = clerk_of(None)
    viewing = resolve(7, "clerk", grants, ["*.view"])
    assert viewing.may(STOCK_VIEW) is True
    assert viewing.may(STOCK_RECEIVE) is False
    assert resolve(7, "clerk", grants, ["stock.*"]).may(ITEM_VIEW) is False
    assert resolve(7, "clerk", grants, ["*"]).may(ITEM_CREATE) is False  # not the clerk's


def test_scope_patterns_must_match_some_action() -> None:
    assert check_scopes(["stock.*", "*.view", "stock.*"]) == ["*.view", "stock.*"]
    for bad in (["nothing.*"], [], ["x" * 65]):
        with pytest.raises(InvalidInput) as refused:
            check_scopes(bad)
        assert refused.value.code == "invalid_scope"


def test_custom_roles_may_only_list_declared_actions() -> None:
    assert check_permission_codes(["stock.view", "item.view"]) == ["item.view", "stock.view"]
    with pytest.raises(InvalidInput) as refused:
        check_permission_codes(["stock.view", "stock.steal"])
    assert (refused.value.code, refused.value.data) == (
        "unknown_permission",
        {"permission": "stock.steal"},
    )


def test_an_action_cannot_be_declared_twice_differently() -> None:
    assert action("item.view", roles=ITEM_VIEW.roles) == ITEM_VIEW
    with pytest.raises(ValueError, match="declared twice"):
        action("item.view", roles={VIEWER})
    with pytest.raises(ValueError, match="unknown roles"):
        action("test.unknown_role", roles={"janitor"})


def test_separation_of_duties_refuses_the_same_person() -> None:
    check_separate(1, 2, "approve your own request")
    with pytest.raises(PermissionDenied) as refused:
        check_separate(3, 3, "approve your own request")
    assert refused.value.code == "separation_of_duties"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "at least 10 characters"),
        ("x" * 257, "at most 256 characters"),
        ("Password123", "too common"),
        ("my-alice-password", "may not contain the user name"),
        ("abababababab", "at least 4 different characters"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason) as refused:
        check_password(password, "alice")
    assert refused.value.code == "weak_password"


def test_a_long_passphrase_is_accepted() -> None:
    check_password("correct horse battery staple", "alice")
