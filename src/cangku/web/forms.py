"""Reading HTML forms: the submitted fields as typed, and the conversions the pages need.

Values are passed to the services as the user typed them (quantities as strings); the services
validate them and raise the domain's errors, which the page shows next to the kept input.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, Request

from cangku.domain.errors import InvalidInput


class Fields:
    """The fields of a submitted form (first value of each; lists through ``all``)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        self.values: dict[str, str] = {}
        for key, value in pairs:
            self.values.setdefault(key, value)

    def text(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def optional(self, name: str) -> str | None:
        """The stripped value, or None for an empty field."""
        return self.text(name) or None

    def raw(self, name: str) -> str | None:
        """The value exactly as typed (names and notes are kept verbatim), None when empty."""
        value = self.values.get(name, "")
        return value if value.strip() else None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name and value]

    def flag(self, name: str) -> bool:
        return self.values.get(name, "") in ("1", "on", "true", "yes")

    def integer(self, name: str) -> int | None:
        text = self.text(name)
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            raise InvalidInput(
                f"{name} must be a whole number", code="invalid_days", field=name
            ) from None

    def day(self, name: str) -> date | None:
        return parse_day(self.text(name))

    def moment(self, name: str) -> datetime | None:
        return parse_moment(self.text(name))


async def read_form(request: Request) -> Fields:
    form = await request.form()
    return Fields([(key, value) for key, value in form.multi_items() if isinstance(value, str)])


FormDep = Annotated[Fields, Depends(read_form)]


def parse_day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text[:40]!r} is not a date", code="invalid_date") from None


def parse_moment(text: str) -> datetime | None:
    """A date and time as typed (``YYYY-MM-DDTHH:MM`` from the browser), read as UTC."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(text), datetime.max.time())
        except ValueError:
            raise InvalidInput(
                f"{text[:40]!r} is not a date and time", code="invalid_datetime"
            ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def new_key() -> str:
    """An idempotency key for a form being shown: submitting it twice posts once."""
    return uuid.uuid4().hex
