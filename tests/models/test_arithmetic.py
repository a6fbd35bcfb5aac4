"""Arithmetic rewards: the equations read from worked answers, values and tolerances by hand,
what is not checked (symbols, percentages, sentences), and the penalty-only reward."""

import pytest

from rewardkit.data.schema import Message
from rewardkit.models.arithmetic import equations, plain_math
from rewardkit.models.registry import is_baseline, load_scorer


def checked(line: str) -> list[tuple[float, float]]:
    return [(round(c, 6), w) for _, c, w, _ in equations(line)]


@pytest.mark.parametrize("line, expected", [
    ("1. Area of all walls: 4 × 9 m² = 36 m²", [(36.0, 36.0)]),          # list number and label left out, unit read past
    ("3. Litres of paint: 72 m² ÷ 6 m²/L = 12 L", [(12.0, 12.0)]),       # "m²/L" is a unit, not a division
    ("4. Cost of the paint: 12 L × $29 = $338", [(348.0, 338.0)]),       # currency on both sides
    ("Price: $1,184 − $46.50 = $1,137.50", [(1137.5, 1137.5)]),          # thousands separators, U+2212 minus
    ("(2 + 3) × 4 = 20 and 2 + 3 × 4 = 15", [(20.0, 20.0), (14.0, 15.0)]),  # each '=' (the second's left: '20 and 2 + 3 × 4')
    ("2 × 3 = 6 = 6", [(6.0, 6.0)]),                                      # a chain: '6 = 6' has no operator
    ("2 + 3 × 4 = 14", [(14.0, 14.0)]),                                   # precedence
    ("3 x 4 = 12", [(12.0, 12.0)]),
    ("90 km/h ÷ 3.6 = 25 m/s", [(25.0, 25.0)]),
    ("10 - 3 = -7", [(7.0, -7.0)]),
    ("-3 × 4 = -12", [(-12.0, -12.0)]),                                   # a minus sign on the first number
    ("- 3 × 4 = 12", [(12.0, 12.0)]),                                     # a list dash
    ("5 + -2 = 3", []),                                                   # two operators in a row: not checked
    ("A side of 3² + 4² = 25", [(25.0, 25.0)]),
    ("x/2 + 6 = 25", []),                                                 # symbolic
    ("25% of 80 = 20", []),                                               # percentages are not checked
    ("0.3048² = 0.09290304", []),                                         # no operator between numbers
    ("x = 5", []),
    ("the next number is 3 times the current one plus one, so $x_{n+1} = 3", []),
])
def test_equations_read(line, expected):
    assert checked(line) == expected


def test_tolerance_follows_the_written_precision():
    (_, c, w, t), = equations("1,184 ft² × 0.09290304 = 110 m²")
    assert c == pytest.approx(109.99719936) and w == 110.0 and t == pytest.approx(0.5 + 110e-6)  # 0 decimals: 0.5, and a millionth
    # three or more trailing zeros may be a rounding: "3,000,000" holds within 50,000; "30" is two digits
    (_, c, w, t), = equations("200,000 lb / 0.067 lb/ft³ = 3,000,000 ft³")
    assert c == pytest.approx(2985074.63) and t == pytest.approx(50000.0 + 3.0)
    assert equations("$50 − $22 = $30")[0][3] == pytest.approx(0.5 + 30e-6) and equations("8 - 5 = 0")[0][3] == pytest.approx(0.5)
    # a long quotient written truncated is within a millionth of itself
    (_, c, w, t), = equations("20,000,000,000 / 1,440 = 13,888,888 messages")
    assert abs(c - w) == pytest.approx(0.889, abs=1e-3) and t == pytest.approx(0.5 + 13.888888)
    (_, _, _, t), = equations("$185 × 0.25 = $46.25")
    assert t == pytest.approx(0.005 + 46.25e-6)
    (_, _, _, t), = equations("7 × 1.1 ≈ 7.7")
    assert t == pytest.approx(0.077)  # 1% after ≈


def test_scorer_penalises_only_wrong_arithmetic():
    scorer = load_scorer("calc")
    assert scorer.name == "calc" and is_baseline("calc")
    q = [Message("user", "How much?")]
    right = "1. 4 × $30 = $120\n2. 8 × $8 = $64\n3. $120 + $64 = $184"
    one_slip = right.replace("$64 = $184", "$64 = $185")
    rewards = scorer.score([(q, right), (q, one_slip), (q, "12 × 29 = 338"), (q, "About three hundred dollars.")])
    assert rewards == [0.0, -1.0, -1.0, 0.0]  # one slip of three is enough; no reward for right arithmetic: nothing to pad for


def test_latex_is_read_as_its_plain_twin():
    assert plain_math(r"\( \frac{3}{4} \cdot 12 = 9 \)") == "  (3)/(4)  ×  12 = 9  "
    assert plain_math(r"$2^{3} + 5^2 = \boxed{33}$") == "$2³ + 5² = 33$"
    assert plain_math(r"\[ 1{,}000 \div 8 = 125\text{ boxes} \]") == "  1,000  ÷  8 = 125 boxes  "
    assert plain_math("no math here, 3 x 4 = 12") == "no math here, 3 x 4 = 12"
    # checked: worked LaTeX arithmetic, right and wrong; a minus on a fraction
    assert [round(c, 6) for _, c, w, _ in equations(r"$\frac{7}{48} = 0.1466667$ and $3 \times 4 = 12$")] == [0.145833, 12.0]
    assert [(c, w) for _, c, w, _ in equations(r"$-\frac{3}{4} \times 8 = -6$")] == [(-6.0, -6.0)]
    assert [(c, w) for _, c, w, _ in equations(r"$3^2 + 4^2 = 5^2$")] == [(25.0, 25.0)]  # a power on the written value too
    # left alone: a command without a plain twin near the equation, a power on a parenthesis
    for text in (r"$\sqrt{3^2 + 4^2} = 5$", r"$\binom{5}{2} = 10$", "(2 - 6)² = 16", r"$\frac{0.00058}{58.5} = 9.91 \times 10^{-6}$"):
        assert equations(text) == [], text


def test_what_is_not_one_plain_number_is_left_alone():
    # each would have read as a wrong equation: algebra, a range, a time, a scale word, a value that goes on
    for text in ("j = 2m + 1", "3x + 10 = 5(x - 2)", "a_1 + 9 = 14", "0 + 2k + 2 + 1 = 2k + 4 + 1", "= 5(4) - 2(2) + 3 = 9",
                 "√5 + 1 ≈ 3.236", "r / sin(180 / 20) = 2 * r", "40 to 50 strikes/s x 60 = 2,400 to 3,000",
                 "1:00 PM + 16 hours = 5:00 AM", "8.6 million + 200,000 + 75,000 = 9.7935 million",
                 "33,000,000 * 1,000,000 = 3.3 x 10^13", "3 × 4 = 12 + 1", "if i-1 >= 0 and j-1 >= 0:", "x + 1 == 3",
                 "Q:1/4=80", "We add the ones digits first. In base-9, 4+7=12.", "Work modulo 7:\n5 + 4 = 2"):
        assert equations(text) == [], text
    # and the slips around them still count
    assert [(c, w) for _, c, w, _ in equations("10 reps x 2 sets x 3 days = 24 reps")] == [(60.0, 24.0)]
    assert [(c, w) for _, c, w, _ in equations("$8000 x (1 - 0.015) = $8000 x 0.885 = $6,620")] == [(7080.0, 6620.0)]
