"""The web face reads the named refusals (issue 10, defect 11) in the user's language."""

from __future__ import annotations

from cangku.domain.errors import InvalidInput, PermissionDenied
from cangku.web.i18n import error_message


def test_a_refusal_in_a_warehouse_names_it_and_the_permission() -> None:
    refused = PermissionDenied.to_do("stock.receive", warehouse="WH2")
    assert error_message(refused, "en") == (
        "You are not allowed to do this in warehouse WH2: it needs the permission "
        "stock.receive there."
    )
    assert error_message(refused, "zh_CN") == (
        "您无权在仓库 WH2 执行此操作：需要该仓库的权限 stock.receive。"
    )


def test_a_refusal_everywhere_names_the_permission() -> None:
    refused = PermissionDenied.to_do("stock.receive")
    assert error_message(refused, "en") == (
        "You are not allowed to do this: it needs the permission stock.receive."
    )
    assert error_message(refused, "zh_CN") == "您无权执行此操作：需要权限 stock.receive。"
    bare = PermissionDenied("nope")
    assert error_message(bare, "zh_CN") == "您无权执行此操作。"


def test_an_unknown_reason_lists_the_allowed_ones() -> None:
    refused = InvalidInput(
        "unknown reason code 'whim'", code="unknown_reason_code", reason="whim",
        allowed=["found", "lost"],
    )  # fmt: skip
    assert error_message(refused, "en") == (
        "There is no reason code whim; choose one of these: found, lost."
    )
    assert error_message(refused, "zh_CN") == "没有原因代码 whim；请从以下原因中选择：found, lost。"
