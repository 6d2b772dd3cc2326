"""GST reference data: state codes and GSTIN validation.

Pure Python, no I/O. State codes follow the GST state code list (CBIC); codes 25
(old Daman and Diu) and 28 (old, undivided Andhra Pradesh) are retired and are not
offered. Daman and Diu and Dadra and Nagar Haveli were merged into code 26 in 2020.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "GST_STATES",
    "GST_STATE_NAMES",
    "GstState",
    "code_for_state_name",
    "gstin_check_character",
    "normalise_gstin",
    "state_name",
    "validate_gstin",
]


@dataclass(frozen=True, slots=True)
class GstState:
    code: str  # two digits, e.g. "29"
    name: str  # official name, e.g. "Karnataka"


# code -> official name. Retired codes 25 and 28 are deliberately absent.
GST_STATE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "01": "Jammu and Kashmir",
        "02": "Himachal Pradesh",
        "03": "Punjab",
        "04": "Chandigarh",
        "05": "Uttarakhand",
        "06": "Haryana",
        "07": "Delhi",
        "08": "Rajasthan",
        "09": "Uttar Pradesh",
        "10": "Bihar",
        "11": "Sikkim",
        "12": "Arunachal Pradesh",
        "13": "Nagaland",
        "14": "Manipur",
        "15": "Mizoram",
        "16": "Tripura",
        "17": "Meghalaya",
        "18": "Assam",
        "19": "West Bengal",
        "20": "Jharkhand",
        "21": "Odisha",
        "22": "Chhattisgarh",
        "23": "Madhya Pradesh",
        "24": "Gujarat",
        "26": "Dadra and Nagar Haveli and Daman and Diu",
        "27": "Maharashtra",
        "29": "Karnataka",
        "30": "Goa",
        "31": "Lakshadweep",
        "32": "Kerala",
        "33": "Tamil Nadu",
        "34": "Puducherry",
        "35": "Andaman and Nicobar Islands",
        "36": "Telangana",
        "37": "Andhra Pradesh",
        "38": "Ladakh",
        "97": "Other Territory",
    }
)

# Ordered by name, for a select box.
GST_STATES: tuple[GstState, ...] = tuple(
    sorted(
        (GstState(code, name) for code, name in GST_STATE_NAMES.items()),
        key=lambda s: s.name,
    )
)


def state_name(code: str) -> str | None:
    """Official name for a GST state code ("29" -> "Karnataka").

    None for unknown or retired codes (25, 28)."""
    if not isinstance(code, str):
        return None
    return GST_STATE_NAMES.get(code.strip())


# ---- name -> code --------------------------------------------------------------

_PUNCT = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def _name_key(name: str) -> str:
    """Case/punctuation-insensitive key: "JAMMU & KASHMIR" -> "jammu and kashmir"."""
    s = name.casefold().replace("&", " and ")
    s = _PUNCT.sub(" ", s)
    s = _SPACES.sub(" ", s).strip()
    return s.removeprefix("the ")


# Old names, spellings and variants seen in postal/government data sets.
_ALIASES: dict[str, str] = {
    "orissa": "21",
    "pondicherry": "34",
    "uttaranchal": "05",
    "chattisgarh": "22",
    "chhatisgarh": "22",
    "nct of delhi": "07",
    "national capital territory of delhi": "07",
    "new delhi": "07",
    "jammu kashmir": "01",
    "andaman nicobar islands": "35",
    "andaman and nicobar": "35",
    "dadra and nagar haveli": "26",
    "dadra nagar haveli": "26",
    "daman and diu": "26",
    "dadra and nagar haveli and daman and diu": "26",
    "dnh and dd": "26",
    "tamilnadu": "33",
    "other territory": "97",
}

_NAME_TO_CODE: Mapping[str, str] = MappingProxyType(
    {**_ALIASES, **{_name_key(name): code for code, name in GST_STATE_NAMES.items()}}
)


def code_for_state_name(name: str) -> str | None:
    """GST state code for a state name, tolerant of case, "&"/"and", a leading "The"
    and old names ("Orissa", "Pondicherry", "Dadra & Nagar Haveli", "Uttaranchal").
    Returns None for unknown names."""
    if not isinstance(name, str):
        return None
    return _NAME_TO_CODE.get(_name_key(name))


# ---- GSTIN -----------------------------------------------------------------------

_GSTIN_RE = re.compile(r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]")
_GSTIN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GSTIN_VALUES = {c: i for i, c in enumerate(_GSTIN_ALPHABET)}


def normalise_gstin(gstin: str) -> str:
    """Strip surrounding whitespace and upper-case."""
    return gstin.strip().upper()


def gstin_check_character(first14: str) -> str:
    """The GSTIN mod-36 check character for the first 14 characters (0-9, A-Z)."""
    total = 0
    for i, ch in enumerate(first14[:14]):
        product = _GSTIN_VALUES[ch] * (2 if i % 2 else 1)
        total += product // 36 + product % 36
    return _GSTIN_ALPHABET[(36 - total % 36) % 36]


def validate_gstin(gstin: str, state_code: str) -> str | None:
    """Validate a GSTIN for a billing address in the state ``state_code``.

    Returns a user-facing error message, or None if the GSTIN is acceptable. The GSTIN
    is normalised with :func:`normalise_gstin` first. Never raises.
    """
    if not isinstance(gstin, str):
        return "GSTIN must be text."
    value = normalise_gstin(gstin)
    # Only plain ASCII: "\u0131".upper() == "I" and "\u017f".upper() == "S".
    if not gstin.isascii() or not _GSTIN_RE.fullmatch(value):
        return (
            "GSTIN must be 15 characters: a 2-digit state code, a 10-character PAN, "
            "an entity number, 'Z' and a check character (e.g. 29AAGCB7383J1Z4)."
        )
    code = state_code.strip() if isinstance(state_code, str) else ""
    name = GST_STATE_NAMES.get(code)
    if name is None:
        return "Choose a valid state before entering a GSTIN."
    if value[:2] != code:
        return f"GSTIN starts with state code {value[:2]}, but the billing state is {name} ({code})."
    if gstin_check_character(value[:14]) != value[14]:
        return "GSTIN check character is wrong; please check the number for typos."
    return None
