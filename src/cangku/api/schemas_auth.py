"""Request and response bodies of the signed-in user, API tokens, users, roles and permissions.

Secrets go one way: passwords only in requests, a token's value only in the answer that
creates it (``NewTokenOut``); nothing here ever returns a password hash or a stored token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cangku.domain.passwords import MIN_LENGTH
from cangku.domain.permissions import declared_actions

#: a password in a request (the policy itself is checked by the service)
Password = Annotated[str, Field(min_length=1, max_length=1000)]
#: a new password: the schema says its least length (``domain.passwords``: ``weak_password``)
NewPassword = Annotated[
    str, Field(min_length=1, max_length=1000, json_schema_extra={"minLength": MIN_LENGTH})
]
Name = Annotated[str, Field(min_length=1, max_length=200)]


def _permission_codes(schema: dict[str, object]) -> None:
    schema["enum"] = sorted(declared_actions())  # read when the document is made: all declared


#: a permission code (``unknown_permission`` for any other)
Permission = Annotated[str, Field(max_length=64, json_schema_extra=_permission_codes)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ------------------------------------------------------------------ users and grants


class GrantIn(_In):
    role: Name = Field(examples=["receiving_clerk"])
    warehouse: Name | None = Field(None, description="warehouse code; none: every warehouse")


class GrantOut(_Out):
    role: str
    warehouse: str | None = Field(description="null: every warehouse")
    granted_at: datetime


class UserOut(_Out):
    username: str
    display_name: str
    active: bool
    version: int
    created_at: datetime
    last_sign_in_at: datetime | None
    has_password: bool
    grants: list[GrantOut]


class UserList(BaseModel):
    items: list[UserOut]
    total: int


class UserCreate(_In):
    username: str = Field(max_length=64, examples=["li.wei"])
    display_name: Name
    password: NewPassword | None = Field(None, description="none: the user cannot sign in yet")
    roles: list[GrantIn] = Field(default_factory=list, max_length=100)


class PasswordSet(_In):
    password: NewPassword


class OwnPasswordChange(_In):
    current_password: Password
    new_password: NewPassword


class PermissionOut(BaseModel):
    """One action the user may do, and where (``warehouses`` null: everywhere)."""

    code: str
    scoped: bool
    warehouses: list[str] | None


class MeOut(BaseModel):
    username: str
    display_name: str
    roles: list[GrantOut]
    permissions: list[PermissionOut]
    token_scopes: list[str] | None = Field(
        description="the scopes of the API token used (null: a web session, not narrowed)"
    )


# ------------------------------------------------------------------ tokens


class TokenIn(_In):
    name: Name = Field(examples=["nightly import"])
    scopes: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, max_length=50, description="action codes or patterns (stock.*, *.view); none: *"
    )
    days: int = Field(90, ge=-(2**31), le=2**31, description="1 to 366")


class NewTokenOut(_Out):
    id: int
    token: str = Field(description="shown this once; only its hash is stored")
    name: str
    prefix: str
    scopes: list[str]
    expires_at: datetime


class TokenOut(BaseModel):
    id: int
    username: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


# ------------------------------------------------------------------ roles


class RoleOut(_Out):
    code: str
    name: str
    description: str | None
    builtin: bool
    active: bool
    permissions: list[str]


class RoleCreate(_In):
    code: str = Field(max_length=64, examples=["night_shift"])
    name: Name
    permissions: list[Permission] = Field(max_length=500)
    description: str | None = Field(None, max_length=2000)


class RolePatch(_In):
    name: Name | None = None
    description: str | None = Field(None, max_length=2000)
    permissions: list[Permission] | None = Field(None, max_length=500)
    active: bool | None = None


class CatalogueEntryOut(BaseModel):
    code: str
    scoped: bool
    roles: list[str]
    description: str
