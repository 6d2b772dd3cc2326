from __future__ import annotations

import threading

import pytest

from billing_app.gst import GST_STATE_NAMES
from billing_app.integrations import pincodes
from billing_app.integrations.pincodes import PinLookup, lookup_pin


def test_bengaluru() -> None:
    result = lookup_pin("560001")
    assert result == PinLookup(
        pin="560001",
        state="Karnataka",
        state_code="29",
        districts=("BENGALURU URBAN",),
        states=("Karnataka",),
    )


def test_result_is_frozen() -> None:
    result = lookup_pin("560001")
    assert result is not None
    with pytest.raises(AttributeError):
        result.state = "Kerala"  # type: ignore[misc]


@pytest.mark.parametrize("pin", [" 560001 ", "560001\n", "\t560001", "560 001"])
def test_surrounding_and_inner_spaces_are_stripped(pin: str) -> None:
    result = lookup_pin(pin)
    assert result is not None
    assert result.pin == "560001"
    assert result.state_code == "29"


def test_multi_district_pin() -> None:
    result = lookup_pin("110003")
    assert result is not None
    assert result.state == "Delhi"
    assert result.state_code == "07"
    assert result.districts == ("NEW DELHI", "SOUTH", "SOUTH EAST")


def test_two_state_pin_uses_primary_state_and_lists_all() -> None:
    result = lookup_pin("781029")
    assert result is not None
    assert result.state == "Assam"
    assert result.state_code == "18"
    assert result.states == ("Assam", "Meghalaya")
    assert result.districts == ("KAMRUP METRO", "RI BHOI")

    puducherry = lookup_pin("605007")
    assert puducherry is not None
    assert puducherry.state_code == "34"
    assert puducherry.states == ("Puducherry", "Tamil Nadu")


def test_pin_with_no_state() -> None:
    result = lookup_pin("201319")
    assert result == PinLookup(pin="201319", state=None, state_code=None, districts=(), states=())


@pytest.mark.parametrize("pin", ["000000", "999999", "100000", "560000"])
def test_unknown_pin(pin: str) -> None:
    assert lookup_pin(pin) is None


@pytest.mark.parametrize(
    "pin",
    [
        "",
        " ",
        "56001",
        "5600011",
        "abcdef",
        "56000a",
        "-56001",
        "560001.0",
        "\uff15\uff16\uff10\uff10\uff10\uff11",  # full-width digits
        "5600 1",
    ],
)
def test_malformed_pin(pin: str) -> None:
    assert lookup_pin(pin) is None


def test_non_string_pin_returns_none() -> None:
    assert lookup_pin(560001) is None  # type: ignore[arg-type]
    assert lookup_pin(None) is None  # type: ignore[arg-type]


def test_mislabel_799001_is_tripura() -> None:
    result = lookup_pin("799001")
    assert result is not None
    assert result.state == "Tripura"
    assert result.state_code == "16"
    assert result.states == ("Tripura",)
    assert result.districts == ("WEST TRIPURA",)


def test_mislabel_504346_is_telangana() -> None:
    result = lookup_pin("504346")
    assert result is not None
    assert result.state == "Telangana"
    assert result.state_code == "36"
    assert result.states == ("Telangana",)
    assert "PRAKASAM" not in result.districts


def test_whole_table_is_consistent() -> None:
    table = pincodes._load()
    assert len(table) > 19000
    no_state = 0
    two_state = 0
    multi_district = 0
    for pin, entry in table.items():
        assert entry.pin == pin and len(pin) == 6 and pin.isdigit()
        assert entry.districts == tuple(sorted(set(entry.districts)))
        if entry.state is None:
            no_state += 1
            assert entry.state_code is None
            assert entry.states == ()
        else:
            # every state the package uses maps to an official GST name
            assert entry.state_code is not None
            assert GST_STATE_NAMES[entry.state_code] == entry.state
            assert entry.states[0] == entry.state
            assert all(s in GST_STATE_NAMES.values() for s in entry.states)
        two_state += len(entry.states) > 1
        multi_district += len(entry.districts) > 1
    # Figures from the package's data (DESIGN.md "Reference data").
    assert no_state == 82
    assert two_state == 52
    assert 0.05 < multi_district / len(table) < 0.08


def test_lookups_after_the_first_read_the_table_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's data is read once per process; every lookup after is a dict lookup
    (~0.5 µs measured), never a second read of the package's files."""
    pincodes.preload()
    package = vars(pincodes)["indian_pincode"]

    def read_again(*args: object, **kwargs: object) -> list[str]:
        raise AssertionError("the PIN table was read again")

    monkeypatch.setattr(package, "get_pincodes", read_again)
    for pin in ("560001", "110001", "400001") * 1000:
        assert lookup_pin(pin) is not None


def test_concurrent_first_load_builds_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pincodes, "_TABLE", None)
    calls = 0
    package = vars(pincodes)["indian_pincode"]  # the module pincodes.py imported
    real_get_pincodes = package.get_pincodes

    def counting_get_pincodes(*args: object, **kwargs: object) -> list[str]:
        nonlocal calls
        calls += 1
        result: list[str] = real_get_pincodes(*args, **kwargs)
        return result

    monkeypatch.setattr(package, "get_pincodes", counting_get_pincodes)
    results: list[PinLookup | None] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(lookup_pin("560001"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == 1
    assert len(results) == 8
    assert all(r is not None and r.state_code == "29" for r in results)
