"""Dependencies shared by every router (``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from cangku.db.uow import Database
from cangku.services.common import Context


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_context(
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
    user: Annotated[str | None, Header(alias="X-Cangku-User", max_length=64)] = None,
) -> Context:
    return Context(
        username=user or request.app.state.settings.default_user,
        idempotency_key=idempotency_key,
    )


DbDep = Annotated[Database, Depends(get_db)]
ContextDep = Annotated[Context, Depends(get_context)]
