"""An amount in words, Indian numbering: "Rupees One Lakh Twenty Three Thousand Only".

Rule 46 asks for the invoice total in words. num2words' en_IN writes "five hundred and ninety"
(with "and" and commas) and stops below ₹1,000 crore, so this is written out here; the tests
check it against num2words and read every sentence back into a number.
"""

from __future__ import annotations

__all__ = ["indian_words", "rupees_in_words"]

_ONES = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
]
_TENS = ["_", "_", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"]
# Largest first: each unit's count is itself written in words, so a crore of crores reads
# "One Crore Crore" and nothing is ever too large.
_SCALES = ((10_000_000, "Crore"), (100_000, "Lakh"), (1_000, "Thousand"), (100, "Hundred"))


def _below_hundred(n: int) -> list[str]:
    if n < 20:
        return [_ONES[n]]
    tens, ones = divmod(n, 10)
    return [_TENS[tens]] + ([_ONES[ones]] if ones else [])


def _words(n: int) -> list[str]:
    for size, name in _SCALES:
        if n >= size:
            count, rest = divmod(n, size)
            return _words(count) + [name] + (_words(rest) if rest else [])
    return _below_hundred(n)


def indian_words(n: int) -> str:
    """A non-negative integer in words, Indian numbering, title case, no "and":
    123456 → "One Lakh Twenty Three Thousand Four Hundred Fifty Six"."""
    if n < 0:
        raise ValueError("only non-negative amounts are written in words")
    return " ".join(_words(n))


def rupees_in_words(paise: int) -> str:
    """59000 → "Rupees Five Hundred Ninety Only"; 59050 → "Rupees Five Hundred Ninety and Fifty
    Paise Only"; 50 → "Fifty Paise Only". A credit note's total is written the same way."""
    rupees, rest = divmod(paise, 100)
    if paise < 0:
        raise ValueError("only non-negative amounts are written in words")
    if rupees and rest:
        return f"Rupees {indian_words(rupees)} and {indian_words(rest)} Paise Only"
    if rest:
        return f"{indian_words(rest)} Paise Only"
    return f"Rupees {indian_words(rupees)} Only"
