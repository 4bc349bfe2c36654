"""The pure parts of the audit trail: what changed between two snapshots, redaction of
secrets, and the entry hash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cangku.domain.audit import GENESIS, REDACTED, changes, entry_hash, redact

AT = datetime(2026, 11, 25, 9, 30, 0, 123456, tzinfo=UTC)


def test_only_changed_fields_are_listed_with_before_and_after() -> None:
    before = {"name": "Bolt", "version": 1, "max_stock": None, "active": True}
    after = {"name": "Bolt M8", "version": 2, "max_stock": None, "active": True}
    assert changes(before, after) == {
        "name": {"before": "Bolt", "after": "Bolt M8"},
        "version": {"before": 1, "after": 2},
    }


def test_nested_fields_are_compared_key_by_key_with_dotted_paths() -> None:
    before = {"units": {"box": "12"}, "contacts": {"3": {"name": "Li", "email": None}}}
    after = {"units": {"box": "12", "case": "144"}, "contacts": {}}
    assert changes(before, after) == {
        "contacts.3.name": {"before": "Li", "after": None},
        "units.case": {"before": None, "after": "144"},
    }


def test_a_new_record_lists_the_fields_it_was_given() -> None:
    assert changes(None, {"code": "NUT", "notes": None, "units": {}}) == {
        "code": {"before": None, "after": "NUT"}
    }


def test_a_list_is_compared_as_one_value() -> None:
    assert changes({"types": ["a"]}, {"types": ["a", "b"]}) == {
        "types": {"before": ["a"], "after": ["a", "b"]}
    }


@pytest.mark.parametrize(
    "key",
    ["password", "new_password", "password_hash", "token", "token_hash", "csrf_token",
     "session_id", "secret", "Passphrase"],
)  # fmt: skip
def test_secret_named_values_are_redacted_at_any_depth(key: str) -> None:
    details = {"request": {"users": [{key: "hunter2", "name": "Li"}]}, key: "x"}
    assert redact(details) == {"request": {"users": [{key: REDACTED, "name": "Li"}]}, key: REDACTED}


@pytest.mark.parametrize("key", ["tokens_revoked", "password_changed_at", "token_id", "name"])
def test_other_values_are_kept(key: str) -> None:
    assert redact({key: 3}) == {key: 3}


def test_the_hash_covers_every_field_and_the_previous_hash() -> None:
    fields = (7, AT, 1, "admin", "item.update", "item", "BOLT", 2, "10.0.0.7", "{}", GENESIS)
    digest = entry_hash(*fields)
    assert len(digest) == 64
    for position in range(len(fields)):
        changed = list(fields)
        value = changed[position]
        changed[position] = (
            value + 1 if isinstance(value, int) else
            value.replace(microsecond=0) if isinstance(value, datetime) else
            f"{value}x"
        )  # fmt: skip
        assert entry_hash(*changed) != digest, position
