"""Arithmetic rewards: recompute the calculations a response writes out, ``a × b = c``.

    scorer = load_scorer("calc")
    scorer.score([(prompt, response)])  # -1 when a written-out equation is wrong, else 0

A rule-based, verifiable reward for worked answers: every line's ``NUMBER op NUMBER ... = NUMBER``
(operators ``+ - − × x * · ÷ /``, ``²`` and ``³`` on a number, parentheses; currency signs,
thousands separators and unit words between the numbers are read past) is evaluated with the
usual precedence and compared with the value written after ``=`` to that value's precision (``=
110`` holds for 109.997; ``= 46.25`` needs 46.25 within 0.005), or within 1% after ``≈``. The
reward is -1 when any checked equation is wrong, and 0 for a response whose arithmetic holds and
for one without any (the scorer abstains, and in an ``ensemble:`` the other members decide). One
slip is enough: a worked answer carries it into its result, so one wrong step in five is not 80%
right. It only penalises: a reward for correct arithmetic would pay a policy to pad every answer
with ``2 + 2 = 4``. Percentages, variables
and anything symbolic are not checked.

It catches arithmetic slips (``12 L × $29 = $338``), the subtle error a small reward model misses
(it reads "$338" as a plausible price); it does not judge whether the right quantities were
multiplied, so a conversion done the wrong way round with correct arithmetic passes.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Sequence

from rewardkit.models.protocols import Conversation

NAME = "calc"
APPROX = 0.01  # relative tolerance after "≈"
_OPS = {"+": "+", "-": "-", "−": "-", "×": "*", "x": "*", "*": "*", "·": "*", "÷": "/", "/": "/"}
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
# a number (power attached), an operator, a parenthesis, or a word to read past
_PLAIN = r"[^\s\d+\-−×*·÷/()%$€£]"
_TOKEN = re.compile(rf"(?P<num>(?:{_NUMBER})[²³]?)|(?P<cur>[$€£])|(?P<x>(?<=\s)x(?=\s))|(?P<word>{_PLAIN}+(?:/{_PLAIN}+)*)"
                    r"|(?P<op>[+\-−×*·÷/])|(?P<paren>[()])|(?P<pct>%)")
_RESULT = re.compile(rf"^\s*[$€£]?\s*(?P<sign>[-−])?\s*[$€£]?\s*(?P<num>{_NUMBER})(?P<after>\S*)")


def _value(text: str) -> tuple[float, int]:
    """A number's value and its decimal places (``1,184`` -> (1184.0, 0); ``0.25`` -> (0.25, 2))."""
    plain = text.replace(",", "")
    return float(plain), len(plain.split(".", 1)[1]) if "." in plain else 0


def _expression(left: str) -> str | None:
    """The arithmetic that ends `left` as Python source (``4 × $30`` -> ``4*30``), or None when
    it has no operator or holds something not checked (a percentage). Tokens are read from the end
    back while numbers and operators alternate, so a list number or heading before it is left out."""
    matches = list(_TOKEN.finditer(left))
    tokens = [(m.lastgroup or "", m.group()) for m in matches]
    # an operator between two words is part of a word ("two-coat")
    tokens = [("word", t) if k == "op" and 0 < i < len(tokens) - 1 and tokens[i - 1][0] == tokens[i + 1][0] == "word" else (k, t)
              for i, (k, t) in enumerate(tokens)]
    out: list[tuple[str, str]] = []  # from "=" back
    taken: list[int] = []  # the tokens' indices, as out
    depth = 0
    units = 0  # words read past since the last number or operator
    for i in range(len(tokens) - 1, -1, -1):
        kind, text = tokens[i]
        number_next = not out or out[-1][0] in ("op", "x") or out[-1] == ("paren", ")")
        if kind == "cur":
            continue
        if kind == "word":
            # units follow a number ("72 m² ÷ 6", "12 L"): up to two words, no
            # punctuation; a word as an operand ("x/2 + 6") makes the expression symbolic
            units += 1
            if units > 2 or text[-1] in ".,;:!?" or text[0] in "_{}\\$" and len(text) > 1:
                if out and out[-1][0] in ("op", "x"):
                    return None
                if out:
                    break
                units = 3  # a sentence before "=": nothing to check unless a number follows at once
            continue
        if kind == "pct":
            return None
        if units > 2 and not out:
            return None
        units = 0
        if kind == "paren":
            if (text == ")") != number_next:
                break
            depth += 1 if text == ")" else -1
            if depth < 0:
                break
        elif kind == "num" and not number_next:
            break  # two numbers in a row: the expression starts after the second
        elif kind in ("op", "x") and number_next:
            if out:
                return None  # two operators in a row: not plain arithmetic
            continue  # an operator right before "=" belongs to a unit ("6 m²/L")
        out.append((kind, text))
        taken.append(i)
    if out and out[-1][0] in ("op", "x") and units:
        return None  # "x/2 + 6": the leftmost operand is a word
    sign = ""
    if len(out) > 1 and out[-1][1] in "-−" and out[-2][0] == "num" and matches[taken[-1]].end() == matches[taken[-2]].start():
        sign = "-"  # "-3 × 4": a minus sign on the first number (a list dash has a space after it)
    while out and out[-1][0] in ("op", "x"):
        out.pop()  # a leading operator ("- 3 × 4 = 12" as a list dash) is not part of the sum
    if depth != 0 or not any(k in ("op", "x") for k, _ in out):
        return None
    source = [sign]
    for kind, text in reversed(out):
        if kind == "num":
            power = "**2" if text.endswith("²") else "**3" if text.endswith("³") else ""
            source.append(str(_value(text.rstrip("²³"))[0]) + power)
        elif kind == "paren":
            source.append(text)
        else:
            source.append(_OPS[text])
    return "".join(source)


def _evaluate(source: str) -> float | None:
    """`source`'s value: only numbers, + - * / ** and parentheses, evaluated on the parsed tree."""
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError:
        return None

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.BinOp):
            a, b = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                return a / b
            if isinstance(node.op, ast.Pow) and b in (2.0, 3.0):
                return a ** b
        raise ValueError("not arithmetic")

    try:
        return walk(tree)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


def equations(text: str) -> list[tuple[str, float, float, float]]:
    """Each checkable equation in `text`: (its expression, the computed value, the written value,
    the tolerance)."""
    found = []
    for line in text.splitlines():
        parts = re.split(r"(=|≈)", line)
        for i in range(1, len(parts) - 1, 2):
            left, sign, right = parts[i - 1], parts[i], parts[i + 1]
            expr = _expression(left)
            result = _RESULT.match(right)
            if expr is None or result is None or result.group("after").startswith("%"):
                continue
            computed = _evaluate(expr)
            if computed is None or not math.isfinite(computed):
                continue
            written, places = _value(result.group("num"))
            written = -written if result.group("sign") else written
            tolerance = APPROX * abs(written) if sign == "≈" else 0.5 * 10 ** -places + 1e-9 * abs(written)
            found.append((expr, computed, written, tolerance))
    return found


class ArithmeticScorer:
    """``calc``: -1 when a checked equation is wrong, else 0 (see the module docstring)."""

    name = NAME

    @classmethod
    def load(cls, spec: str, **_: object) -> "ArithmeticScorer":
        """``calc``; model options do not apply and are ignored."""
        return cls()

    def score(self, conversations: Sequence[Conversation]) -> list[float]:
        out = []
        for _, response in conversations:
            checked = equations(response)
            out.append(-1.0 if any(abs(c - w) > t for _, c, w, t in checked) else 0.0)
        return out
