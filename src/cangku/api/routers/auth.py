"""The signed-in user: ``/api/v1/me``, their password and their API tokens (``/api/v1/tokens``).

Credentials are managed with a web session, never with an API token: a token can neither make
tokens (403 ``token_cannot_mint``) nor revoke them or change the password (403
``session_required``). A new token's value is in the 201 answer that creates it, and nowhere
else ever again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from cangku.api.deps import ContextDep, DbDep, signed_in
from cangku.api.schemas_auth import (
    GrantOut,
    MeOut,
    NewTokenOut,
    OwnPasswordChange,
    PermissionOut,
    TokenIn,
    TokenOut,
)
from cangku.api.schemas_stock import MAX_ID
from cangku.db.auth import TokenRecord
from cangku.domain.permissions import Actor, declared_actions
from cangku.queries.sites import warehouse_codes
from cangku.routing import SegmentRouter
from cangku.services import auth as service
from cangku.services import users as user_service

router = SegmentRouter(tags=["me"])

Me = Annotated[Actor, signed_in()]
TokenId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/me", response_model=MeOut, summary="Who I am and what I may do where")
def me(actor: Me, db: DbDep, ctx: ContextDep) -> MeOut:
    user = user_service.get_user(db, actor.username)
    codes = warehouse_codes(db)
    actions = declared_actions()
    permissions = []
    for code in sorted(actor.permissions):
        allowed = actor.permissions[code]
        act = actions.get(code)
        scoped = act.scoped if act is not None else False
        where = None if allowed is None or not scoped else sorted(codes[i] for i in allowed)
        permissions.append(PermissionOut(code=code, scoped=scoped, warehouses=where))
    return MeOut(
        username=user.username,
        display_name=user.display_name,
        roles=[GrantOut.model_validate(g) for g in user.grants],
        permissions=permissions,
        token_scopes=list(ctx.scopes) if ctx.scopes is not None else None,
    )


@router.post(
    "/me/password",
    status_code=204,
    summary="Change my password (give the current one)",
    dependencies=[signed_in(refuse_tokens="session_required")],
)
def change_my_password(body: OwnPasswordChange, db: DbDep, ctx: ContextDep) -> Response:
    user_service.change_own_password(db, ctx, body.current_password, body.new_password)
    return Response(status_code=204)


def _token_out(record: TokenRecord) -> TokenOut:
    return TokenOut(
        id=record.id,
        username=record.username,
        name=record.name,
        prefix=record.prefix,
        scopes=record.scopes.split(),
        created_at=record.created_at,
        expires_at=record.expires_at,
        last_used_at=record.last_used_at,
        revoked_at=record.revoked_at,
    )


@router.get(
    "/tokens",
    response_model=list[TokenOut],
    tags=["tokens"],
    summary="My API tokens (everyone's with user.view and everyone=true); never their values",
    dependencies=[signed_in()],
)
def list_tokens(db: DbDep, ctx: ContextDep, everyone: bool = False) -> list[TokenOut]:
    return [_token_out(t) for t in service.list_tokens(db, ctx, everyone=everyone)]


@router.post(
    "/tokens",
    status_code=201,
    response_model=NewTokenOut,
    tags=["tokens"],
    summary="Create an API token (its value is shown this once)",
    dependencies=[signed_in(refuse_tokens="token_cannot_mint")],
)
def create_token(body: TokenIn, db: DbDep, ctx: ContextDep) -> NewTokenOut:
    created = service.create_token(db, ctx, body.name, body.scopes, body.days)
    return NewTokenOut.model_validate(created)


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    tags=["tokens"],
    summary="Revoke one of my tokens (anyone's with user.manage)",
    dependencies=[signed_in(refuse_tokens="session_required")],
)
def revoke_token(token_id: TokenId, db: DbDep, ctx: ContextDep) -> Response:
    service.revoke_token(db, ctx, token_id)
    return Response(status_code=204)
