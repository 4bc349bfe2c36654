"""Reading the company settings and the time zone a user sees times in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from cangku.db.company import read_company, read_time_zones
from cangku.domain.company import Company

__all__ = ["Display", "company_settings", "display_settings"]


@dataclass(frozen=True)
class Display:
    """What shapes a user's pages: the company settings and the zone they see times in."""

    company: Company
    #: the user's own zone, None when they follow the company's
    own_time_zone: str | None

    @property
    def time_zone(self) -> str:
        return self.own_time_zone or self.company.time_zone


def company_settings(conn: Connection) -> Company:
    """The company settings (one row)."""
    return read_company(conn)


def display_settings(conn: Connection, username: str | None) -> Display:
    """The company settings with ``username``'s own time zone (None: signed out), one read."""
    settings, own = read_time_zones(conn, username)
    return Display(settings, own)
