"""The org's billing address (one per org) and the offline PIN-code lookup that fills it.

A top-up needs an address first: the order service calls `require_address`.
"""

from __future__ import annotations

import re

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from billing_app import gst
from billing_app.db import read_session, write_session
from billing_app.errors import AddressRequired, InvalidRequest, NotFound
from billing_app.integrations import pincodes
from billing_app.integrations.pincodes import PinLookup
from billing_app.models import BillingAddress
from billing_app.models.types import utcnow
from billing_app.services import audit, roles
from billing_app.services.roles import Permission

__all__ = [
    "PinLookup",
    "city_from_district",
    "complete_pin",
    "format_address",
    "get_address",
    "lookup_pin",
    "normalise_pin",
    "require_address",
    "save_address",
]

# Column limits of BillingAddress (the API schema repeats them).
NAME_MAX = 120
LINE_MAX = 200
CITY_MAX = 100

_SMALL_WORDS = frozenset({"AND", "OF"})
_LETTERS = re.compile(r"[A-Za-z]+")


def normalise_pin(pin: str) -> str:
    """The PIN without whitespace (" 560 001" -> "560001"). Raises InvalidRequest(field="pin")
    unless that is exactly six ASCII digits not starting with 0."""
    value = pincodes.pin_digits(pin)
    if value is None:
        raise InvalidRequest("A PIN code is 6 digits and does not start with 0.", field="pin")
    return value


def complete_pin(text: str) -> str | None:
    """The PIN once `text` is a whole one (the form looks it up as soon as it is), else None."""
    return pincodes.pin_digits(text)


def city_from_district(district: str) -> str:
    """A district as the directory spells it, written as a city name:
    "BENGALURU URBAN" -> "Bengaluru Urban", "NORTH AND MIDDLE ANDAMAN" -> "North and Middle
    Andaman", "KAIMUR (BHABUA)" -> "Kaimur (Bhabua)"; initials ("S.A.S NAGAR") stay capitals."""
    words = []
    for i, word in enumerate(district.split()):
        if i and word.upper() in _SMALL_WORDS:
            words.append(word.lower())
        elif "." in word:
            words.append(word.upper())
        else:
            words.append(_LETTERS.sub(lambda m: m.group().capitalize(), word))
    return " ".join(words)


def lookup_pin(*, pin: str) -> PinLookup:
    """District(s) and GST state for a PIN, from the offline directory (no network).

    `state`/`state_code` are None when the directory has no state for the PIN; the known
    mislabels (799001, 504346) come back corrected. Raises InvalidRequest(field="pin") for
    a malformed PIN and NotFound for one the directory does not know.
    """
    found = pincodes.lookup_pin(normalise_pin(pin))
    if found is None:
        raise NotFound("We don't know this PIN code.")
    return found


def get_address(*, org_id: int) -> BillingAddress | None:
    roles.check(org_id, Permission.PAY)
    with read_session() as session:
        return session.get(BillingAddress, org_id)


def require_address(*, org_id: int) -> BillingAddress:
    """The org's billing address; raises AddressRequired (400) when it has none yet."""
    address = get_address(org_id=org_id)
    if address is None:
        raise AddressRequired()
    return address


def _text(value: str | None, field: str, label: str, max_length: int, *, required: bool = True) -> str:
    value = " ".join((value or "").split())  # also folds pasted newlines and tabs
    if required and not value:
        raise InvalidRequest(f"{label} is required.", field=field)
    if len(value) > max_length:
        raise InvalidRequest(f"{label} is longer than {max_length} characters.", field=field)
    return value


def _state_code(state_code: str | None) -> str:
    code = (state_code or "").strip()
    if not code:
        raise InvalidRequest("Choose a state.", field="state_code")
    if gst.state_name(code) is None:
        raise InvalidRequest("Choose a state from the list.", field="state_code")
    return code


def _gstin(gstin: str | None, state_code: str) -> str | None:
    if gstin is None or not gstin.strip():
        return None
    problem = gst.validate_gstin(gstin, state_code)
    if problem is not None:
        raise InvalidRequest(problem, field="gstin")
    return gst.normalise_gstin(gstin)


def _upsert(session: Session, values: dict[str, object]) -> None:
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = insert(BillingAddress).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["org_id"],
        set_={key: statement.excluded[key] for key in values if key != "org_id"},
    )
    session.execute(statement)


def save_address(
    *,
    org_id: int,
    name: str,
    line1: str,
    line2: str | None,
    city: str,
    state_code: str,
    pin: str,
    gstin: str | None = None,
) -> BillingAddress:
    """Create or replace the org's billing address and return it as saved.

    Text is stripped (inner runs of whitespace folded); the PIN must be 6 digits not
    starting with 0; the state a GST state code; the GSTIN (optional; blank means none)
    well-formed, with a right check character and the billing state's code as its first
    two digits; it is stored upper-case. The PIN is *not* required to match the state:
    the directory is imperfect and people know their own address. Fields are checked in
    form order and the first problem raises InvalidRequest(field=...). Idempotent; one
    transaction, a single INSERT … ON CONFLICT, so two concurrent first saves cannot clash.
    """
    roles.check(org_id, Permission.PAY)
    values: dict[str, object] = {
        "org_id": org_id,
        "name": _text(name, "name", "Name", NAME_MAX),
        "line1": _text(line1, "line1", "Address line 1", LINE_MAX),
        "line2": _text(line2, "line2", "Address line 2", LINE_MAX, required=False),
        "pin": normalise_pin(pin),
        "city": _text(city, "city", "City", CITY_MAX),
    }
    code = _state_code(state_code)
    values["state_code"] = code
    values["gstin"] = _gstin(gstin, code)
    values["updated_at"] = utcnow()
    try:
        with write_session() as session:
            before = session.get(BillingAddress, org_id)
            previous = _audited(before) if before is not None else None
            _upsert(session, values)
            saved = session.get(BillingAddress, org_id, populate_existing=True)
            assert saved is not None
            audit.record(
                session,
                org_id=org_id,
                action="address.changed",
                subject=f"org:{org_id}",
                before=previous,
                after=_audited(saved),
            )
    except IntegrityError as exc:  # the org row does not exist
        raise NotFound("No such organisation.") from exc
    assert saved is not None
    return saved


def _audited(address: BillingAddress) -> dict[str, object]:
    fields = ("name", "line1", "line2", "city", "state_code", "pin", "gstin")
    return {name: getattr(address, name) for name in fields}


def format_address(address: BillingAddress) -> list[str]:
    """The address as printed lines: name, street, city/state/PIN, GSTIN when present."""
    state = gst.state_name(address.state_code) or address.state_code
    lines = [address.name, address.line1]
    if address.line2:
        lines.append(address.line2)
    lines.append(f"{address.city}, {state} {address.pin}")
    if address.gstin:
        lines.append(f"GSTIN {address.gstin}")
    return lines
