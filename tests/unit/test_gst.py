from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_app.gst import (
    GST_STATE_NAMES,
    GST_STATES,
    GstState,
    code_for_state_name,
    gstin_check_character,
    normalise_gstin,
    state_name,
    validate_gstin,
)

VALID_KA = "29AAGCB7383J1Z4"
VALID_MH = "27AAPFU0939F1ZV"

EXPECTED_CODES = {f"{n:02d}" for n in (*range(1, 25), 26, 27, *range(29, 39), 97)}


# ---- table -------------------------------------------------------------------


def test_table_has_exactly_the_documented_codes() -> None:
    assert set(GST_STATE_NAMES) == EXPECTED_CODES
    assert "25" not in GST_STATE_NAMES
    assert "28" not in GST_STATE_NAMES


def test_codes_are_two_digits_and_names_unique() -> None:
    for code in GST_STATE_NAMES:
        assert re.fullmatch(r"[0-9]{2}", code)
    names = list(GST_STATE_NAMES.values())
    assert len(names) == len(set(names))
    assert len({n.casefold() for n in names}) == len(names)


def test_gst_states_sorted_by_name_and_complete() -> None:
    assert all(isinstance(s, GstState) for s in GST_STATES)
    assert [s.name for s in GST_STATES] == sorted(s.name for s in GST_STATES)
    assert {s.code: s.name for s in GST_STATES} == dict(GST_STATE_NAMES)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("29", "Karnataka"),
        ("01", "Jammu and Kashmir"),
        ("16", "Tripura"),
        ("19", "West Bengal"),
        ("26", "Dadra and Nagar Haveli and Daman and Diu"),
        ("36", "Telangana"),
        ("37", "Andhra Pradesh"),
        ("97", "Other Territory"),
    ],
)
def test_state_name(code: str, name: str) -> None:
    assert state_name(code) == name
    assert code_for_state_name(name) == code


@pytest.mark.parametrize("code", ["25", "28", "00", "99", "1", "029", "", "ab"])
def test_state_name_unknown_or_retired(code: str) -> None:
    assert state_name(code) is None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("KARNATAKA", "29"),
        ("karnataka", "29"),
        ("  Karnataka ", "29"),
        ("Jammu & Kashmir", "01"),
        ("JAMMU AND KASHMIR", "01"),
        ("Orissa", "21"),
        ("ODISHA", "21"),
        ("Pondicherry", "34"),
        ("PUDUCHERRY", "34"),
        ("Dadra & Nagar Haveli", "26"),
        ("Daman & Diu", "26"),
        ("THE DADRA AND NAGAR HAVELI AND DAMAN AND DIU", "26"),
        ("Andaman & Nicobar Islands", "35"),
        ("ANDAMAN AND NICOBAR ISLANDS", "35"),
        ("Uttaranchal", "05"),
        ("NCT of Delhi", "07"),
        ("TAMIL NADU", "33"),
        ("WEST BENGAL", "19"),
    ],
)
def test_code_for_state_name_variants(name: str, code: str) -> None:
    assert code_for_state_name(name) == code


@pytest.mark.parametrize("name", ["", "Atlantis", "Karnatakaa", "29"])
def test_code_for_state_name_unknown(name: str) -> None:
    assert code_for_state_name(name) is None


def test_every_official_name_round_trips() -> None:
    for code, name in GST_STATE_NAMES.items():
        assert code_for_state_name(name) == code
        assert code_for_state_name(name.upper()) == code


# ---- GSTIN -------------------------------------------------------------------


def test_check_character_known_examples() -> None:
    assert gstin_check_character(VALID_KA[:14]) == "4"
    assert gstin_check_character(VALID_MH[:14]) == "V"


def test_valid_gstin() -> None:
    assert validate_gstin(VALID_KA, "29") is None
    assert validate_gstin(VALID_MH, "27") is None


def test_normalise_gstin() -> None:
    assert normalise_gstin("  29aagcb7383j1z4\n") == VALID_KA


def test_lowercase_and_spaces_are_normalised() -> None:
    assert validate_gstin(" 29aagcb7383j1z4 ", "29") is None


def test_wrong_state_prefix() -> None:
    msg = validate_gstin(VALID_KA, "27")
    assert msg is not None
    assert "29" in msg and "Maharashtra" in msg


def test_wrong_checksum() -> None:
    msg = validate_gstin("29AAGCB7383J1Z5", "29")
    assert msg is not None
    assert "check" in msg.lower()


def test_every_single_character_change_of_check_digit_is_caught() -> None:
    for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        candidate = VALID_KA[:14] + ch
        result = validate_gstin(candidate, "29")
        assert (result is None) == (ch == "4")


@pytest.mark.parametrize(
    "gstin",
    [
        "",
        "29AAGCB7383J1Z",  # 14 chars
        "29AAGCB7383J1Z44",  # 16 chars
        "2AAAGCB7383J1Z4",  # letter in state code
        "29AAGC17383J1Z4",  # digit in PAN letters
        "29AAGCB738XJ1Z4",  # letter in PAN digits
        "29AAGCB73831JZ4",  # digit at PAN check position
        "29AAGCB7383J0Z4",  # entity number 0
        "29AAGCB7383J1X4",  # 14th must be Z
        "29AAGCB7383J1Z-",
        "29AAGCB7383J1Z4\n29",
        "\uff129AAGCB7383J1Z4",  # full-width digit
    ],
)
def test_malformed_gstin(gstin: str) -> None:
    msg = validate_gstin(gstin, "29")
    assert msg is not None
    assert "15 characters" in msg


def test_unknown_or_retired_state_code() -> None:
    assert validate_gstin(VALID_KA, "") is not None
    assert validate_gstin(VALID_KA, "99") is not None
    # A GSTIN under the retired code 28 is not accepted (code not offered).
    gstin28 = "28AAGCB7383J1Z"
    gstin28 += gstin_check_character(gstin28)
    assert validate_gstin(gstin28, "28") is not None


@pytest.mark.parametrize("code", sorted(EXPECTED_CODES))
def test_valid_gstin_for_every_state(code: str) -> None:
    first14 = f"{code}AAGCB7383J1Z"
    gstin = first14 + gstin_check_character(first14)
    assert validate_gstin(gstin, code) is None
    assert validate_gstin(gstin.lower(), code) is None


@given(st.text(), st.text())
def test_validate_gstin_never_raises(gstin: str, state_code: str) -> None:
    result = validate_gstin(gstin, state_code)
    assert result is None or isinstance(result, str)


@given(st.text(), st.sampled_from(sorted(EXPECTED_CODES)))
def test_validate_gstin_never_raises_for_real_codes(gstin: str, state_code: str) -> None:
    result = validate_gstin(gstin, state_code)
    assert result is None or isinstance(result, str)


@given(st.from_regex(r"\A[0-9]{2}[A-Za-z]{5}[0-9]{4}[A-Za-z][1-9A-Za-z][Zz][0-9A-Za-z]\Z"))
def test_validate_gstin_never_raises_for_well_formed(gstin: str) -> None:
    result = validate_gstin(gstin, gstin[:2])
    assert result is None or isinstance(result, str)


@given(st.text())
def test_code_for_state_name_never_raises(name: str) -> None:
    result = code_for_state_name(name)
    assert result is None or result in GST_STATE_NAMES


def test_non_ascii_look_alikes_rejected() -> None:
    # "\u017f".upper() == "S", "\u0131".upper() == "I": must not pass normalisation.
    for fake, real in (("\u017f", "S"), ("\u0131", "I")):
        first14 = f"29A{real}GCB7383J1Z"
        genuine = first14 + gstin_check_character(first14)
        assert validate_gstin(genuine, "29") is None
        assert validate_gstin(genuine.replace(real, fake, 1), "29") is not None
