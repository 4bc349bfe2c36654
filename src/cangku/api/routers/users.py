"""User and role administration: ``/api/v1/users``, ``/api/v1/roles``, ``/api/v1/permissions``.

Reads need ``user.view`` (administrators, auditors); changes need ``user.manage`` or
``role.manage``. The services enforce separation of duties (nobody changes their own roles,
password or account state) and keep the last administrator.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.filters import RoleSort, UserSort
from cangku.api.schemas_auth import (
    CatalogueEntryOut,
    GrantIn,
    PasswordSet,
    RoleCreate,
    RoleOut,
    RolePatch,
    UserCreate,
    UserList,
    UserOut,
)
from cangku.routing import SegmentRouter
from cangku.services import users as service
from cangku.services.users import ROLE_MANAGE, USER_MANAGE, USER_VIEW

router = SegmentRouter()
user_router = SegmentRouter(prefix="/users", tags=["users"])
role_router = SegmentRouter(prefix="/roles", tags=["roles"])

VIEW = [permit(USER_VIEW)]
MANAGE = [permit(USER_MANAGE)]


# ------------------------------------------------------------------ users


@user_router.get("", response_model=UserList, summary="Every user", dependencies=VIEW)
def list_users(db: DbDep, sort: UserSort = None) -> UserList:
    """Every user, by user name (or as ``sort`` says)."""
    found = [UserOut.model_validate(u) for u in service.list_users(db, sort)]
    return UserList(items=found, total=len(found))


@user_router.post(
    "", status_code=201, response_model=UserOut, summary="Create a user", dependencies=MANAGE
)
def create_user(body: UserCreate, db: DbDep, ctx: ContextDep) -> UserOut:
    roles = [(g.role, g.warehouse) for g in body.roles]
    created = service.create_user(db, ctx, body.username, body.display_name, body.password, roles)
    return UserOut.model_validate(created)


@user_router.get("/{username}", response_model=UserOut, summary="One user", dependencies=VIEW)
def get_user(username: str, db: DbDep) -> UserOut:
    return UserOut.model_validate(service.get_user(db, username))


@user_router.post(
    "/{username}/disable",
    response_model=UserOut,
    summary="Disable (ends their sessions and revokes their tokens)",
    dependencies=MANAGE,
)
def disable_user(username: str, db: DbDep, ctx: ContextDep) -> UserOut:
    return UserOut.model_validate(service.set_user_active(db, ctx, username, False))


@user_router.post(
    "/{username}/enable", response_model=UserOut, summary="Enable again", dependencies=MANAGE
)
def enable_user(username: str, db: DbDep, ctx: ContextDep) -> UserOut:
    return UserOut.model_validate(service.set_user_active(db, ctx, username, True))


@user_router.post(
    "/{username}/roles",
    response_model=UserOut,
    summary="Grant a role in one warehouse or in all",
    dependencies=MANAGE,
)
def grant_role(username: str, body: GrantIn, db: DbDep, ctx: ContextDep) -> UserOut:
    granted = service.grant_role(db, ctx, username, body.role, body.warehouse)
    return UserOut.model_validate(granted)


@user_router.delete(
    "/{username}/roles", response_model=UserOut, summary="Revoke a role", dependencies=MANAGE
)
def revoke_role(
    username: str,
    role: Annotated[str, Query(max_length=200)],
    db: DbDep,
    ctx: ContextDep,
    warehouse: Annotated[str | None, Query(max_length=200, description="none: all")] = None,
) -> UserOut:
    return UserOut.model_validate(service.revoke_role(db, ctx, username, role, warehouse))


@user_router.put(
    "/{username}/password",
    response_model=UserOut,
    summary="Set another user's password (ends their sessions)",
    dependencies=MANAGE,
)
def set_password(username: str, body: PasswordSet, db: DbDep, ctx: ContextDep) -> UserOut:
    return UserOut.model_validate(service.set_password(db, ctx, username, body.password))


# ------------------------------------------------------------------ roles


@role_router.get(
    "", response_model=list[RoleOut], summary="Built-in and custom roles", dependencies=VIEW
)
def list_roles(db: DbDep, sort: RoleSort = None) -> list[RoleOut]:
    """Built-in roles first, then custom ones (or as ``sort`` says)."""
    return [RoleOut.model_validate(r) for r in service.list_roles(db, sort)]


@role_router.post(
    "",
    status_code=201,
    response_model=RoleOut,
    summary="Create a custom role from permissions",
    dependencies=[permit(ROLE_MANAGE)],
)
def create_role(body: RoleCreate, db: DbDep, ctx: ContextDep) -> RoleOut:
    created = service.create_role(db, ctx, body.code, body.name, body.permissions, body.description)
    return RoleOut.model_validate(created)


@role_router.get("/{code}", response_model=RoleOut, summary="One role", dependencies=VIEW)
def get_role(code: str, db: DbDep) -> RoleOut:
    return RoleOut.model_validate(service.get_role(db, code))


@role_router.patch(
    "/{code}",
    response_model=RoleOut,
    summary="Change a custom role",
    dependencies=[permit(ROLE_MANAGE)],
)
def update_role(code: str, body: RolePatch, db: DbDep, ctx: ContextDep) -> RoleOut:
    # name, permissions and active cannot be emptied; a description can
    changes = {
        key: value
        for key, value in body.model_dump(exclude_unset=True).items()
        if value is not None or key == "description"
    }
    return RoleOut.model_validate(service.update_role(db, ctx, code, changes))


@router.get(
    "/permissions",
    response_model=list[CatalogueEntryOut],
    tags=["roles"],
    summary="Every permission (action) and the built-in roles holding it",
    dependencies=VIEW,
)
def permission_catalogue() -> list[CatalogueEntryOut]:
    return [CatalogueEntryOut.model_validate(entry) for entry in service.permission_catalogue()]


router.include_router(user_router)
router.include_router(role_router)
