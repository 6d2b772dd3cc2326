"""PIN code -> district(s) and GST state, from the offline ``indian-pincode`` package.

Data: India Post "All India Pincode Directory" (data.gov.in), Government Open Data
License - India (GODL-India), as packaged by ``indian-pincode`` (MIT).

This is the only module that imports ``indian_pincode``. The whole directory (~19.6k
PINs) is converted into an immutable dict on first use (thread-safe, once, ~0.2 s);
later lookups are a dict get (well under a microsecond or two).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import indian_pincode

from billing_app.gst import GST_STATE_NAMES, code_for_state_name

__all__ = ["DATA_CREDIT", "PinLookup", "lookup_pin", "pin_digits", "preload"]

DATA_CREDIT = (
    "PIN code data: India Post All India Pincode Directory, data.gov.in (GODL-India), via the indian-pincode package."
)


@dataclass(frozen=True, slots=True)
class PinLookup:
    pin: str
    state: str | None  # official GST state name (billing_app.gst), primary state
    state_code: str | None  # GST state code of ``state``
    districts: tuple[str, ...]  # as the package gives them, e.g. "BENGALURU URBAN"; sorted
    # All states the PIN spans (official names), primary first; () when unknown.
    states: tuple[str, ...] = ()


# Known mislabels in the source directory: pin -> (GST code, districts).
# 799001 is Agartala (West Tripura), listed as Telangana/NIRMAL; 504346 is in
# Telangana, listed as Andhra Pradesh/PRAKASAM (an Andhra district, so dropped).
_OVERRIDES: Mapping[str, tuple[str, tuple[str, ...]]] = MappingProxyType(
    {
        "799001": ("16", ("WEST TRIPURA",)),
        "504346": ("36", ()),
    }
)

_LOCK = threading.Lock()
_TABLE: Mapping[str, PinLookup] | None = None


def _official(package_state: str | None) -> tuple[str, str] | None:
    if not package_state:
        return None
    code = code_for_state_name(package_state)
    if code is None:
        return None
    return code, GST_STATE_NAMES[code]


def _build_entry(details: indian_pincode.PincodeDetails) -> PinLookup:
    pin = str(details["pincode"])
    districts = tuple(sorted(set(details.get("districts") or ())))
    override = _OVERRIDES.get(pin)
    if override is not None:
        code, fixed_districts = override
        name = GST_STATE_NAMES[code]
        return PinLookup(pin, name, code, fixed_districts, (name,))
    primary = _official(details.get("state"))
    others: set[str] = set()
    for raw in details.get("states") or ():
        official = _official(raw)
        if official is not None:
            others.add(official[1])
    if primary is None:
        states = tuple(sorted(others))
        return PinLookup(pin, None, None, districts, states)
    code, name = primary
    others.discard(name)
    return PinLookup(pin, name, code, districts, (name, *sorted(others)))


def _load() -> Mapping[str, PinLookup]:
    global _TABLE
    table = _TABLE
    if table is not None:
        return table
    with _LOCK:
        if _TABLE is None:
            built: dict[str, PinLookup] = {}
            for pin in indian_pincode.get_pincodes():
                details = indian_pincode.get_details(pin)
                if details is not None:
                    entry = _build_entry(details)
                    built[entry.pin] = entry
            _TABLE = MappingProxyType(built)
        return _TABLE


def preload() -> None:
    """Build the lookup table now (optional; otherwise built on first lookup)."""
    _load()


_PIN = re.compile(r"[1-9][0-9]{5}")  # Indian PINs: six digits, the first never 0


def pin_digits(pin: str) -> str | None:
    """The PIN without whitespace (" 560 001" -> "560001"), or None unless that is six
    ASCII digits not starting with 0. The one rule for a PIN's shape, everywhere."""
    if not isinstance(pin, str):
        return None
    digits = "".join(pin.split())
    return digits if _PIN.fullmatch(digits) else None


def lookup_pin(pin: str) -> PinLookup | None:
    """District(s) and GST state for a 6-digit PIN; None if malformed or unknown.

    A PIN absent from the state data yields ``state``/``state_code`` None. PINs that
    span two states use the package's primary state (most post offices) and list all
    of them in ``states``.
    """
    key = pin_digits(pin)
    if key is None:
        return None
    return _load().get(key)
