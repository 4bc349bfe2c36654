"""Reading HTML forms: the submitted fields as typed, and the conversions the pages need.

Values are passed to the services as the user typed them (quantities as strings); the services
validate them and raise the domain's errors, which the page shows next to the kept input.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from typing import Annotated

from fastapi import Depends, Request

from cangku.domain.errors import InvalidInput
from cangku.web.display import display_of


class Fields:
    """The fields of a submitted form (first value of each; lists through ``all``)."""

    def __init__(
        self, pairs: list[tuple[str, str]], zone: Callable[[], tzinfo] | None = None
    ) -> None:
        self._pairs = pairs
        #: the zone date-times are typed in (the user's; read only when a form has one)
        self._zone = zone or (lambda: UTC)
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
        """A date-time typed in the user's zone, as UTC."""
        return parse_moment(self.text(name), self._zone())


async def read_form(request: Request) -> Fields:
    form = await request.form()
    pairs = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    return Fields(pairs, lambda: display_of(request).zone)


FormDep = Annotated[Fields, Depends(read_form)]


def parse_day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text[:40]!r} is not a date", code="invalid_date") from None


def parse_moment(text: str, zone: tzinfo = UTC) -> datetime | None:
    """A date and time as typed (``YYYY-MM-DDTHH:MM`` from the browser) in ``zone`` (the
    user's), as UTC; a date alone is the end of that day; an explicit offset is kept."""
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
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def new_key() -> str:
    """An idempotency key for a form being shown: submitting it twice posts once."""
    return uuid.uuid4().hex
