"""Arithmetic rewards: the equations read from worked answers, values and tolerances by hand,
what is not checked (symbols, percentages, sentences), and the penalty-only reward."""

import pytest

from rewardkit.data.schema import Message
from rewardkit.models.arithmetic import equations
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
    assert c == pytest.approx(109.99719936) and w == 110.0 and t == pytest.approx(0.5)  # 0 decimals: within 0.5
    (_, _, _, t), = equations("$185 × 0.25 = $46.25")
    assert t == pytest.approx(0.005, abs=1e-6)
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
