"""Every knob's URL parser is total: any text, however hostile, gives a value the widget offers or a reason
(`Refused`), never an exception. Checked on every knob of every page, over a list of known traps (huge and
over-long integers, '1e999', 'nan', other scripts' digits, empty text) and a few hundred seeded random strings."""

from __future__ import annotations

import random

import pytest

from explorer.ui import presets
from explorer.ui.state import Choice, Range, Refused, as_text, shown

HUGE = "1" * 400  # beyond a float: math.isfinite(int(HUGE)) raised OverflowError
LIMIT = "9" * 4300  # the most digits int() takes in Python 3.11+
OVER_LIMIT = "1" * 5000  # int() raises ValueError
HOSTILE = [
    "", " ", "abc", "nan", "NaN", "-nan", "inf", "-inf", "+inf", "infinity", "1e999", "-1e999", "1e-999",
    "1e" + "9" * 5000, HUGE, "-" + HUGE, LIMIT, "-" + LIMIT, OVER_LIMIT, "0" * 5000 + "7", "-" + OVER_LIMIT,
    OVER_LIMIT + ".5", "0." + "0" * 5000 + "1", "٣", "١٢", "١.٥", "²", "Ⅻ", "７", "1_000", "1_0", " 7 ", "7\n",
    "\t1", "0x10", "0b1", "0o7", "1,5", "1.2.3", ".", "-", "+", "--1", "+-1", "e5", "1e", "1e+", ".e1", "1j",
    "True", "true", "None", "[1]", "{}", "<script>alert(1)</script>", "`", "**x**", "$x$", ":red[x]", "\x00",
    "\ud800", "μ", "σ", "7.0", "7.5", "1e3", "-0", "+0", "0.30000000000000004", "-1e9", "9" * 19, str(2**63),
    str(2**1024), "10000000", "1000001", "-1", "0.55", "2.1",
]
ALPHABET = "0123456789+-.eE _nafitx٣７²,\n`*"


def random_strings(count: int = 300, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))) for _ in range(count)]


ALL_KNOBS = [(f"{page}.{key}", knob) for page, knobs in presets.KNOBS.items() for key, knob in knobs.items()]
REASONS = ("not a number", "not written as a whole number", "outside ", "not on the slider's steps")
SEED = Range(0, 10**6, 1, 0)
MU = Range(-2.0, 2.0, 0.1, 0.5)


@pytest.mark.parametrize(("name", "knob"), ALL_KNOBS, ids=[name for name, _ in ALL_KNOBS])
def test_every_knob_reads_any_text_as_an_allowed_value_or_a_reason(name, knob):
    for text in HOSTILE + random_strings():
        value = knob.read(text)  # must not raise
        if isinstance(value, Refused):
            if isinstance(knob, Choice):
                assert value.reason == "not one of the options", (name, text)
            else:
                assert value.reason.startswith(REASONS), (name, text, value)
            assert knob.parse(text) is None
        else:
            assert knob.allows(value), (name, text, value)
            assert knob.read(as_text(value)) == value, (name, text)  # what the URL then holds reads back


@pytest.mark.parametrize("text", [HUGE, "-" + HUGE, LIMIT, OVER_LIMIT, "-" + OVER_LIMIT, str(2**1024), "10000000"])
def test_a_huge_integer_is_outside_not_a_crash(text):
    assert SEED.read(text) == Refused("outside 0–1000000")
    assert SEED.parse(text) is None and MU.parse(text) is None
    assert MU.read(text) == Refused("outside -2 to 2")


def test_allows_takes_a_huge_int_without_overflowing():
    assert not SEED.allows(int(HUGE)) and not SEED.allows(10**5000) and not SEED.allows(-(10**400))
    assert not Range(0, 10**400, 1, 0).allows(10**400 + 1) and Range(0, 10**400, 7, 0).allows(7 * 10**399)


@pytest.mark.parametrize("text", ["nan", "-nan", "inf", "-inf", "infinity", "", " ", "abc", "٣", "١٢", "١.٥",
                                  "７", "1_000", " 7 ", "7\n", "0x10", "1,5", "1.2.3", "e5", "1e", "\ud800"])
def test_text_that_is_no_plain_decimal_is_not_a_number(text):
    """float() and int() would take some of these ('nan', '١٢', '1_000', ' 7 '): a link of this app never writes
    them, so they are refused rather than guessed at."""
    assert SEED.read(text) == Refused("not a number") and MU.read(text) == Refused("not a number")


def test_the_other_reasons_name_what_is_wrong():
    assert MU.read("1e999") == Refused("outside -2 to 2") and MU.read("-1e999") == Refused("outside -2 to 2")
    assert MU.read("0.55") == Refused("not on the slider's steps") and MU.read("1e-999") == 0.0
    assert SEED.read("7.5") == Refused("not written as a whole number") == SEED.read("1e3")
    assert Range(0, 100, 5, 0).read("7") == Refused("not on the slider's steps")
    assert Choice((0.01, 0.5, 10.0), 0.5).read("0.02") == Refused("not one of the options")
    assert SEED.read("0" * 5000 + "7") == 7  # 5,001 digits, but only one that counts
    assert SEED.read("+7") == 7 and SEED.read("007") == 7 and MU.read(".5") == 0.5 and MU.read("-2E0") == -2.0


def test_a_refused_value_is_shown_short_and_cannot_break_the_note():
    assert shown("abc") == "abc"
    long = shown(OVER_LIMIT)
    assert len(long) < 60 and "5,000 characters" in long
    assert "`" not in shown("a`b") and "\n" not in shown("a\n\nb") and "\x00" not in shown("\x00")
