"""The framework's floor: a bare FastAPI app doing a receipt's two unavoidable statements.

``POST /floor/receive`` takes the same JSON body as cangku's ``/api/v1/stock/receive``, looks
the bearer token up by its SHA-256 hash in cangku's own ``api_tokens`` table (one indexed
SELECT) and INSERTs one row into ``bench_floor``, in one committed transaction, then answers
201 with a small JSON body. It uses cangku's engine factory (``cangku.db.engine.make_engine``:
the same driver, pool and SQLite pragmas; ``BEGIN IMMEDIATE`` for the writer on SQLite, as
cangku's postings) and SQLAlchemy Core, and the route is a plain ``def`` like cangku's (run in
the thread pool). No rules, no ledger: what is left between this and cangku is cangku.

Served by ``bench/http_api.py`` as ``uvicorn --app-dir bench --factory floor_app:asgi`` with
``CANGKU_DATABASE_URL`` set, on the database the benchmark prepared (the token exists there and
``create_floor_table`` has made ``bench_floor``).
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from decimal import Decimal

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    insert,
    select,
)

from cangku.db.engine import make_engine
from cangku.db.tables import api_tokens

floor_metadata = MetaData()
bench_floor = Table(
    "bench_floor",
    floor_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_id", BigInteger, nullable=False),
    Column("item", String(64), nullable=False),
    Column("quantity", Numeric(28, 9), nullable=False),
    Column("to_location", String(64), nullable=False),
    Column("unit_cost", Numeric(28, 9)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)


class FloorIn(BaseModel):
    item: str
    quantity: Decimal
    to_location: str
    unit_cost: Decimal | None = None


def create_floor_table(url: str) -> None:
    """Create ``bench_floor`` in the database at ``url`` (before the server starts, so its
    workers do not race to create it)."""
    engine = make_engine(url)
    floor_metadata.create_all(engine)
    engine.dispose()


def asgi() -> FastAPI:
    """Factory for ``uvicorn --factory floor_app:asgi`` (database from CANGKU_DATABASE_URL)."""
    engine = make_engine(os.environ["CANGKU_DATABASE_URL"])
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/floor/receive", status_code=201)
    def receive(body: FloorIn, authorization: str = Header("")) -> dict[str, object]:
        secret = authorization.removeprefix("Bearer ")
        digest = hashlib.sha256(secret.encode()).hexdigest()
        now = datetime.now(UTC)
        with engine.connect().execution_options(cangku_write=True) as conn, conn.begin():
            token_id = conn.execute(
                select(api_tokens.c.id).where(api_tokens.c.token_hash == digest)
            ).scalar()
            if token_id is None:
                raise HTTPException(401, "unknown token")
            row_id = conn.execute(
                insert(bench_floor)
                .values(
                    token_id=token_id,
                    item=body.item,
                    quantity=body.quantity,
                    to_location=body.to_location,
                    unit_cost=body.unit_cost,
                    recorded_at=now,
                )
                .returning(bench_floor.c.id)
            ).scalar_one()
        return {"id": row_id, "item": body.item, "quantity": str(body.quantity)}

    return app
