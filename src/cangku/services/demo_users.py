"""The demo company's people: one user per built-in role, with known demo passwords, and the
two who raise outbound requests (sales and production planning), each with a custom role.

The passwords are printed by ``cangku demo`` so that anyone trying cangku can sign in with
each role and see what it may do; a demo database is not for real data.
"""

from __future__ import annotations

from dataclasses import dataclass

from cangku.db.uow import Database
from cangku.domain.permissions import (
    ADMINISTRATOR,
    AUDITOR,
    PICKER_SHIPPER,
    PURCHASER,
    QUALITY_INSPECTOR,
    RECEIVING_CLERK,
    STOCK_COUNTER,
    VIEWER,
    WAREHOUSE_MANAGER,
)
from cangku.services.common import Context
from cangku.services.setup import admin_needs_password, initialize
from cangku.services.users import create_role, create_user

__all__ = [
    "DEMO_ADMIN_PASSWORD",
    "DEMO_PASSWORD",
    "DEMO_ROLES",
    "DEMO_USERS",
    "DemoUser",
    "create_demo_users",
]

#: the administrator's demo password (set only when the administrator has none yet)
DEMO_ADMIN_PASSWORD = "demo-master-key"
#: every other demo user's password
DEMO_PASSWORD = "demo-staff-key"


@dataclass(frozen=True)
class DemoUser:
    """Demo credentials: ``password`` None means the user kept the password they had."""

    username: str
    display_name: str
    role: str
    warehouse: str | None
    password: str | None


#: what everyone who works with stock may read, and their task inbox
_READS = [
    "documents.view",
    "documents.take",
    "item.view",
    "lot.view",
    "notifications.mark",
    "notifications.view",
    "partner.view",
    "period.view",
    "stock.view",
    "warehouse.view",
]
#: custom roles (code, name, permissions): no built-in role is for the people who raise sales
#: orders and material requisitions without touching stock or purchasing
DEMO_ROLES: tuple[tuple[str, str, list[str]], ...] = (
    ("sales", "销售 Sales", ["so.edit", *_READS]),
    ("planner", "生产计划 Production planner", ["requisition.edit", *_READS]),
)

#: (user name, display name, role, warehouse or None for all); the clerk works in SH only
DEMO_USERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("manager", "王经理 Wang (warehouse manager)", WAREHOUSE_MANAGER, None),
    ("buyer", "李采购 Li (purchaser)", PURCHASER, None),
    ("clerk", "张收货 Zhang (receiving clerk, Shanghai)", RECEIVING_CLERK, "SH"),
    ("inspector", "刘质检 Liu (quality inspector)", QUALITY_INSPECTOR, None),
    ("picker", "陈拣货 Chen (picker and shipper)", PICKER_SHIPPER, None),
    ("counter", "赵盘点 Zhao (stock counter)", STOCK_COUNTER, None),
    ("auditor", "孙审计 Sun (auditor)", AUDITOR, None),
    ("viewer", "周查看 Zhou (viewer)", VIEWER, None),
    ("sales", "钱销售 Qian (sales)", "sales", None),
    ("planner", "吴计划 Wu (production planner)", "planner", None),
)


def create_demo_users(db: Database, ctx: Context) -> list[DemoUser]:
    """Give the administrator (``ctx``'s user) the demo password if they have none, create the
    custom roles of ``DEMO_ROLES``, and one user per built-in role and per custom role with
    ``DEMO_PASSWORD``. Returns the credentials, administrator first.

    Raises Conflict ``username_taken`` / ``role_code_taken`` when a demo user or role exists
    already, NotFound ``warehouse_not_found`` without the demo warehouses. Writes: the
    administrator's password, the roles and their permissions, the users and their grants,
    audit entries.
    """
    admin_password: str | None = None
    if admin_needs_password(db, ctx.username):
        admin_password = DEMO_ADMIN_PASSWORD
        initialize(db, admin_username=ctx.username, admin_password=admin_password)
    made = [DemoUser(ctx.username, "Administrator", ADMINISTRATOR, None, admin_password)]
    for code, name, permissions in DEMO_ROLES:
        create_role(db, ctx, code, name, permissions)
    for username, display_name, role, warehouse in DEMO_USERS:
        create_user(db, ctx, username, display_name, DEMO_PASSWORD, [(role, warehouse)])
        made.append(DemoUser(username, display_name, role, warehouse, DEMO_PASSWORD))
    return made
