"""GS1 element strings (``cangku.domain.gs1``): GS1-128 / DataMatrix scans, raw (GS after
variable values) or human-readable ``(01)...(10)...``, with check digits and YYMMDD dates."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cangku.domain.errors import InvalidInput
from cangku.domain.gs1 import GS, check_digit, gtin_forms, is_valid_gtin, parse, read

TODAY = date(2026, 12, 2)
GTIN = "09501101530003"  # the GS1 General Specifications' example GTIN


def test_a_datamatrix_scan_with_symbology_identifier_and_gs_reads_every_field() -> None:
    scan = f"]d201{GTIN}17261231" + f"10L42{GS}21SN-7{GS}3012"
    data = read(scan, today=TODAY)
    assert data is not None
    assert (data.gtin, data.lot, data.serial, data.count) == (GTIN, "L42", "SN-7", 12)
    assert data.expires_on == date(2026, 12, 31)
    assert data.elements == (
        ("01", GTIN),
        ("17", "261231"),
        ("10", "L42"),
        ("21", "SN-7"),
        ("30", "12"),
    )


def test_the_human_readable_form_reads_the_same() -> None:
    raw = parse(f"01{GTIN}17261231" + f"10L42{GS}3712", today=TODAY)
    human = parse(f"(01){GTIN}(17)261231(10)L42(37)12", today=TODAY)
    assert raw == human
    assert human.count == 12


def test_a_variable_value_ends_at_gs_then_a_fixed_one_follows() -> None:
    data = parse(f"10ABC{GS}01{GTIN}11250115", today=TODAY)
    assert (data.lot, data.gtin, data.produced_on) == ("ABC", GTIN, date(2025, 1, 15))


def test_a_variable_value_without_gs_runs_to_the_end() -> None:
    assert parse(f"01{GTIN}21{'1' * 20}", today=TODAY).serial == "1" * 20


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [
        ("260200", date(2026, 2, 28)),  # day 00: the last day of the month
        ("240200", date(2024, 2, 29)),  # ... of a leap February
        ("261100", date(2026, 11, 30)),
        ("271200", date(2027, 12, 31)),
        ("270115", date(2027, 1, 15)),
        ("760101", date(2076, 1, 1)),  # up to 50 years ahead
        ("770101", date(1977, 1, 1)),  # 51 years ahead means the previous century
        ("991231", date(1999, 12, 31)),
    ],
)
def test_expiry_dates_follow_the_gs1_rules(yymmdd: str, expected: date) -> None:
    assert parse(f"01{GTIN}17{yymmdd}", today=TODAY).expires_on == expected


@pytest.mark.parametrize("yymmdd", ["261301", "260230", "260000", "261232"])
def test_an_impossible_date_is_refused(yymmdd: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse(f"(17){yymmdd}", today=TODAY)
    assert refused.value.code == "gs1_invalid_date"


def test_a_wrong_gtin_check_digit_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse("(01)09501101530004", today=TODAY)
    assert refused.value.code == "gs1_check_digit"
    assert "expected 3" in refused.value.message


@pytest.mark.parametrize(
    ("scan", "code"),
    [
        ("(01)0950110153000", "gs1_malformed"),  # 13 digits for a GTIN-14
        (f"]C101{GTIN}1726123", "gs1_malformed"),  # a date cut short
        (f"01{GTIN}10{'A' * 21}{GS}", "gs1_malformed"),  # a lot longer than 20
        ("(10)L 42", "gs1_malformed"),  # a space is not in GS1's character set 82
        ("(10)", "gs1_malformed"),
        (f"(01){GTIN}(01){GTIN}", "gs1_malformed"),
        ("(99)X", "gs1_unknown_ai"),
        (f"]C1 99{GS}", "gs1_unknown_ai"),
        ("]C1", "gs1_malformed"),
        ("x(01)09501101530003", None),  # not GS1 at all: read() leaves it alone
        (f"01{GTIN}1726123", None),  # undeclared and not GS1 through to the end: a plain code
    ],
)
def test_malformed_gs1_scans_are_refused_with_a_stable_code(scan: str, code: str | None) -> None:
    if code is None:
        assert read(scan, today=TODAY) is None
        return
    with pytest.raises(InvalidInput) as refused:
        read(scan, today=TODAY)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "scan",
    ["BOLT-M8", "6901234567892", "SH-A-01-02", "L260804-02", "0100", f"01{GTIN[:-1]}4"],
)
def test_plain_codes_and_barcodes_are_not_gs1(scan: str) -> None:
    assert read(scan, today=TODAY) is None


def test_known_check_digits() -> None:
    assert check_digit("0950110153000") == 3
    assert check_digit("690123456789") == 2  # EAN-13 6901234567892
    assert check_digit("9638507") == 4  # EAN-8 96385074
    assert is_valid_gtin("96385074") and not is_valid_gtin("96385075")


def test_gtin_forms_drop_only_padding_zeros() -> None:
    assert gtin_forms("06901234567892") == ["06901234567892", "6901234567892"]
    assert gtin_forms("00012345678905") == ["00012345678905", "0012345678905", "012345678905"]
    assert gtin_forms("00000096385074")[-1] == "96385074"
    assert gtin_forms(GTIN) == [GTIN, GTIN[1:]]
    assert gtin_forms("19501101530000") == ["19501101530000"]


# ------------------------------------------------------------------ properties

_bodies = st.text(alphabet="0123456789", min_size=13, max_size=13)
_lots = st.text(
    alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./_"),
    min_size=1,
    max_size=20,
)
_days = st.dates(min_value=date(1977, 1, 1), max_value=date(2076, 12, 31))


@given(_bodies)
def test_exactly_one_check_digit_makes_a_gtin_valid(body: str) -> None:
    valid = [digit for digit in "0123456789" if is_valid_gtin(body + digit)]
    assert valid == [str(check_digit(body))]


@given(_bodies, _lots, _days, st.integers(min_value=1, max_value=99_999_999), st.booleans())
def test_what_is_encoded_reads_back_in_both_forms(
    body: str, lot: str, day: date, count: int, serial: bool
) -> None:
    gtin = body + str(check_digit(body))
    ai = "21" if serial else "10"
    when = day.strftime("%y%m%d")
    raw = parse(f"]d201{gtin}17{when}{ai}{lot}{GS}30{count}", today=TODAY)
    human = parse(f"({'01'}){gtin}(17){when}({ai}){lot}(30){count}", today=TODAY)
    assert raw == human
    assert (raw.gtin, raw.expires_on, raw.count) == (gtin, day, count)
    assert (raw.serial if serial else raw.lot) == lot


@given(_bodies, st.integers(min_value=0, max_value=9))
def test_a_changed_digit_breaks_the_check(body: str, position: int) -> None:
    gtin = body + str(check_digit(body))
    wrong = str((int(gtin[position]) + 1) % 10)
    changed = gtin[:position] + wrong + gtin[position + 1 :]
    assert not is_valid_gtin(changed)
    with pytest.raises(InvalidInput):
        parse(f"(01){changed}", today=TODAY)


@given(st.text(max_size=40))
def test_read_never_fails_other_than_with_invalid_input(text: str) -> None:
    try:
        read(text, today=TODAY)
    except InvalidInput as refused:
        assert refused.code.startswith("gs1_")
