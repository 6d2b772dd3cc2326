from __future__ import annotations

import threading

import pytest

from billing_app.errors import AddressRequired, InvalidRequest, NotFound
from billing_app.services import addresses
from tests.factories import make_org

VALID = {
    "name": "Acme Labs Pvt Ltd",
    "line1": "1 MG Road",
    "line2": "",
    "city": "Bengaluru Urban",
    "state_code": "29",
    "pin": "560001",
}
GSTIN_KA = "29AAGCB7383J1Z4"  # a well-formed Karnataka GSTIN (check character included)


def _org() -> int:
    return make_org()


def test_no_address_yet(db):
    org_id = _org()
    assert addresses.get_address(org_id=org_id) is None
    with pytest.raises(AddressRequired) as info:
        addresses.require_address(org_id=org_id)
    assert info.value.code == "address_required"
    assert info.value.status == 400


def test_save_normalises_and_require_returns_it(db):
    org_id = _org()
    saved = addresses.save_address(
        org_id=org_id,
        name="  Acme   Labs ",
        line1=" 1 MG Road\n",
        line2=None,
        city=" Bengaluru Urban ",
        state_code=" 29 ",
        pin=" 560 001 ",
        gstin=" 29aagcb7383j1z4 ",
    )
    assert (saved.name, saved.line1, saved.line2, saved.city) == ("Acme Labs", "1 MG Road", "", "Bengaluru Urban")
    assert (saved.state_code, saved.pin, saved.gstin) == ("29", "560001", GSTIN_KA)
    again = addresses.require_address(org_id=org_id)
    assert again.model_dump() == saved.model_dump()


def test_blank_gstin_means_none(db):
    org_id = _org()
    assert addresses.save_address(org_id=org_id, **VALID, gstin="   ").gstin is None


def test_save_is_an_upsert(db):
    org_id = _org()
    first = addresses.save_address(org_id=org_id, **VALID, gstin=GSTIN_KA)
    second = addresses.save_address(
        org_id=org_id, **(VALID | {"city": "Agartala", "state_code": "16", "pin": "799001"}), gstin=None
    )
    assert (second.city, second.state_code, second.pin, second.gstin) == ("Agartala", "16", "799001", None)
    assert second.updated_at >= first.updated_at
    stored = addresses.get_address(org_id=org_id)
    assert stored is not None and stored.model_dump() == second.model_dump()


def test_concurrent_first_saves_do_not_clash(any_db):
    org_id = _org()
    errors: list[BaseException] = []

    def save(city: str) -> None:
        try:
            addresses.save_address(org_id=org_id, **(VALID | {"city": city}))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(f"City {i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = addresses.get_address(org_id=org_id)
    assert stored is not None and stored.city.startswith("City ")


def test_each_org_has_its_own_address(db):
    asha, ravi = _org(), _org()
    addresses.save_address(org_id=asha, **VALID)
    assert addresses.get_address(org_id=ravi) is None
    addresses.save_address(org_id=ravi, **(VALID | {"name": "Ravi"}))
    asha_address = addresses.get_address(org_id=asha)
    assert asha_address is not None and asha_address.name == VALID["name"]


@pytest.mark.parametrize(
    "field,value",
    [
        ("name", "  "),
        ("name", "x" * 121),
        ("line1", ""),
        ("line2", "x" * 201),
        ("city", "\t"),
        ("pin", "56001"),
        ("pin", "5600012"),
        ("pin", "060001"),
        ("pin", "56000a"),
        ("pin", "５６０００１"),  # full-width digits are not a PIN
        ("state_code", ""),
        ("state_code", "25"),  # retired (old Daman and Diu)
        ("state_code", "28"),  # retired (undivided Andhra Pradesh)
        ("state_code", "KA"),
    ],
)
def test_bad_fields_name_the_field(db, field, value):
    with pytest.raises(InvalidRequest) as info:
        addresses.save_address(org_id=_org(), **(VALID | {field: value}))
    assert info.value.details["field"] == field
    assert info.value.message


@pytest.mark.parametrize(
    "gstin,words",
    [
        ("29AAGCB7383J1Z", "15 characters"),
        ("29AAGCB7383J1Z5", "check character"),
        ("27AAGCB7383J1Z5", "billing state is Karnataka (29)"),
    ],
)
def test_gstin_is_checked_against_the_state(db, gstin, words):
    with pytest.raises(InvalidRequest) as info:
        addresses.save_address(org_id=_org(), **VALID, gstin=gstin)
    assert info.value.details["field"] == "gstin"
    assert words in info.value.message


def test_gstin_with_an_unknown_state_blames_the_state_first(db):
    with pytest.raises(InvalidRequest) as info:
        addresses.save_address(org_id=_org(), **(VALID | {"state_code": "99"}), gstin=GSTIN_KA)
    assert info.value.details["field"] == "state_code"


def test_an_unknown_org_is_not_found(db):
    with pytest.raises(NotFound):
        addresses.save_address(org_id=987_654, **VALID)


# ---- PIN lookup -------------------------------------------------------------------------


def test_lookup_single_district():
    found = addresses.lookup_pin(pin=" 560001 ")
    assert (found.pin, found.state, found.state_code, found.districts) == (
        "560001",
        "Karnataka",
        "29",
        ("BENGALURU URBAN",),
    )
    assert addresses.city_from_district(found.districts[0]) == "Bengaluru Urban"


def test_lookup_several_districts():
    found = addresses.lookup_pin(pin="110003")
    assert found.state_code == "07"
    assert found.districts == ("NEW DELHI", "SOUTH", "SOUTH EAST")


@pytest.mark.parametrize(
    "pin,state,code",
    [("799001", "Tripura", "16"), ("504346", "Telangana", "36")],
)
def test_mislabelled_pins_come_back_corrected(db, pin, state, code):
    found = addresses.lookup_pin(pin=pin)
    assert (found.state, found.state_code) == (state, code)
    # …and an address built from the lookup saves with that state.
    saved = addresses.save_address(org_id=_org(), **(VALID | {"pin": pin, "state_code": found.state_code}))
    assert saved.state_code == code


def test_lookup_pin_without_a_state():
    found = addresses.lookup_pin(pin="201319")
    assert found.state is None and found.state_code is None


def test_lookup_unknown_and_malformed_pins():
    with pytest.raises(NotFound):
        addresses.lookup_pin(pin="999999")
    for bad in ("12345", "abcdef", "012345", ""):
        with pytest.raises(InvalidRequest) as info:
            addresses.lookup_pin(pin=bad)
        assert info.value.details["field"] == "pin"


@pytest.mark.parametrize(
    "district,city",
    [
        ("BENGALURU URBAN", "Bengaluru Urban"),
        ("NORTH AND MIDDLE ANDAMAN", "North and Middle Andaman"),
        ("KAIMUR (BHABUA)", "Kaimur (Bhabua)"),
        ("JANJGIR-CHAMPA", "Janjgir-Champa"),
        ("S.A.S NAGAR", "S.A.S Nagar"),
        ("24 PARAGANAS NORTH", "24 Paraganas North"),
    ],
)
def test_city_from_district(district, city):
    assert addresses.city_from_district(district) == city


def test_format_address(db):
    saved = addresses.save_address(org_id=_org(), **(VALID | {"line2": "Floor 2"}), gstin=GSTIN_KA)
    assert addresses.format_address(saved) == [
        "Acme Labs Pvt Ltd",
        "1 MG Road",
        "Floor 2",
        "Bengaluru Urban, Karnataka 560001",
        f"GSTIN {GSTIN_KA}",
    ]


@pytest.mark.parametrize(
    "value,expected",
    [
        ("/billing", "/billing"),
        ("/billing?topup=500", "/billing?topup=500"),
        (None, "/billing"),
        ("", "/billing"),
        ("billing", "/billing"),
        ("//evil.example", "/billing"),
        ("/\\evil.example", "/billing"),
        ("https://evil.example/", "/billing"),
        ("/\t/evil.example", "/billing"),
    ],
)
def test_after_saving_only_local_paths_are_followed(value, expected):
    from billing_app.services.navigation import safe_local_path

    assert safe_local_path(value, "/billing") == expected
