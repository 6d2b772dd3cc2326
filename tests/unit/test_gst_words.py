"""The invoice total in words, Indian numbering (lakh, crore)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from num2words import num2words

from billing_app.gst_words import indian_words, rupees_in_words

_VALUES = {
    **{
        w: i
        for i, w in enumerate(
            [
                "zero",
                "one",
                "two",
                "three",
                "four",
                "five",
                "six",
                "seven",
                "eight",
                "nine",
                "ten",
                "eleven",
                "twelve",
                "thirteen",
                "fourteen",
                "fifteen",
                "sixteen",
                "seventeen",
                "eighteen",
                "nineteen",
            ]
        )
    },
    **{
        w: 10 * i
        for i, w in enumerate(["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])
        if i > 1
    },
}
_SCALES = {"hundred": 100, "thousand": 1_000, "lakh": 100_000, "crore": 10_000_000}


def read_back(words: str) -> int:
    """An independent reader: a scale word multiplies everything since the last larger scale."""
    total, groups = 0, [0]  # groups[-1] accumulates below the current scale
    stack: list[tuple[int, int]] = []  # (scale, value) pending, largest first
    for word in words.casefold().split():
        if word in _VALUES:
            groups[-1] += _VALUES[word]
            continue
        scale = _SCALES[word]
        value = groups.pop() if groups else 0
        while stack and stack[-1][0] <= scale:  # "five hundred thousand": hundred sits under thousand
            value += stack.pop()[1]
        stack.append((scale, value * scale))
        groups.append(0)
    total = sum(v for _, v in stack) + sum(groups)
    return total


@pytest.mark.parametrize(
    ("paise", "words"),
    [
        (59_000, "Rupees Five Hundred Ninety Only"),
        (59_050, "Rupees Five Hundred Ninety and Fifty Paise Only"),
        (50, "Fifty Paise Only"),
        (0, "Rupees Zero Only"),
        (1_00_000_00, "Rupees One Lakh Only"),
        (12_34_567_89, "Rupees Twelve Lakh Thirty Four Thousand Five Hundred Sixty Seven and Eighty Nine Paise Only"),
        (1_00_00_000_00, "Rupees One Crore Only"),
        (100_00_00_000_00, "Rupees One Hundred Crore Only"),
        (1_00_000_00_00_000_00, "Rupees One Lakh Crore Only"),
        (11_900, "Rupees One Hundred Nineteen Only"),
        (1_01, "Rupees One and One Paise Only"),
    ],
)
def test_amounts_in_words(paise, words):
    assert rupees_in_words(paise) == words


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        rupees_in_words(-1)


@given(st.integers(min_value=0, max_value=10**18))
def test_words_read_back_to_the_number(n):
    assert read_back(indian_words(n)) == n


@given(st.integers(min_value=0, max_value=10**10 - 1))
def test_words_agree_with_num2words_en_in(n):
    theirs = re.sub(r"[,-]", " ", num2words(n, lang="en_IN")).replace(" and ", " ")
    assert indian_words(n).casefold().split() == theirs.split()


@given(st.integers(min_value=0, max_value=10**14))
def test_rupees_and_paise_read_back(paise):
    text = rupees_in_words(paise)
    assert text.endswith(" Only")
    rupees_part, _, paise_part = text.removesuffix(" Only").partition(" and ")
    if rupees_part.endswith(" Paise"):  # below a rupee
        rupees_part, paise_part = "Rupees Zero", rupees_part
    rupees = read_back(rupees_part.removeprefix("Rupees "))
    rest = read_back(paise_part.removesuffix(" Paise")) if paise_part else 0
    assert rupees * 100 + rest == paise
