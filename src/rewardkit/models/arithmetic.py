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
with ``2 + 2 = 4``. Percentages, variables and anything symbolic are not checked.

LaTeX is read as its plain twin (``\\frac{7}{48} = 0.1467``, ``3 \\times 4``, ``2^{3}``,
``\\boxed{12}``; `plain_math`), so worked math answers are checked too. Because a wrong reading
penalises a right answer, an equation is left alone when anything near it says it is not one
plain number: algebra (``2n + 1``, ``5(x - 2)``, ``a_1``, ``√5``, ``sin(...)``), a range (``40
to 50``), a clock time, a scale word (``8.6 million``), another base or modular arithmetic anywhere in the
response (``in base-9, 4+7=12``), a LaTeX command without a plain twin, a
power on a parenthesis, or a written value that goes on (``= 3.3 x 10^13``, ``= 12 + 1``). Three
or more trailing zeros on a whole number may be a rounding (``= 3,000,000`` holds within
50,000), and every value holds within a millionth of itself (a truncated quotient).

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
    for i in taken:
        after = matches[i + 1] if i + 1 < len(matches) else None
        before = matches[i - 1] if i > 0 else None
        glued_after = after is not None and after.start() == matches[i].end() and (after.group()[0].isalpha() or after.group()[0] in "_(")
        glued_before = before is not None and before.end() == matches[i].start() and (
            before.group()[-1].isalnum() or before.group()[-1] in "_√):")
        if tokens[i][0] == "num" and (glued_after or glued_before) or tokens[i] == ("paren", "(") and glued_before:
            return None  # "2n + 1", "5(x - 2)", "a_1 + 9", "√5 + 1", "5(4) - 2(2)": algebra or a product not written out
    sign = ""
    if (len(out) > 1 and out[-1][1] in "-−" and (out[-2][0] == "num" or out[-2] == ("paren", "("))
            and matches[taken[-1]].end() == matches[taken[-2]].start()):
        sign = "-"  # "-3 × 4", "-(3/4) × 8": a minus sign on the first operand (a list dash has a space after it)
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


# LaTeX that has a plain-text twin (the rest, \\sqrt or \\binom, stays and leaves its equation unchecked)
_LATEX_WORDS = {r"\times": " × ", r"\cdot": " × ", r"\div": " ÷ ", r"\approx": " ≈ ", r"\left": "", r"\right": "",
                r"\,": "", r"\!": "", r"\;": " ", r"\:": " ", r"\ ": " ", r"\$": "$", r"\%": "%", "{,}": ","}
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_WRAPPED = re.compile(r"\\(?:boxed|text|textrm|mathrm|mbox)\s*\{([^{}]*)\}")
_POWER = re.compile(r"\^\s*(?:\{\s*([23])\s*\}|([23])(?!\d))")


_LATEX_LEFT = re.compile(r"[\\{}^]")
_SCALE = re.compile(r"\b(?:thousand|million|billion|trillion|lakh|crore)s?\b", re.IGNORECASE)
_CLOCK = re.compile(r"\d:\d\d")
_OTHER_BASE = re.compile(r"\bbase[- ]?(?:[2-9]|1[1-9]|[2-9]\d)\b|\bmod(?:ulo)?\b|\\pmod|\\equiv|≡", re.IGNORECASE)
_RANGE = re.compile(rf"(?:{_NUMBER})\s*(?:to|–|—)\s*[$€£]?\s*(?:{_NUMBER})")
_PAREN_POWER = re.compile(r"\)\s*[²³]")  # "(2 - 6)² = 16": a power on a parenthesis is not read
_CALL = re.compile(r"[A-Za-z_]\(")  # "sin(180 / 20)", "n(n+1)": a function or a product with a variable
_CONTINUED = re.compile(r"\s*(?:[+\-−×*·÷/^]\s*[\d(.$€£]|x\s+[\d(.$€£]|[\^{}\\])")


def plain_math(line: str) -> str:
    """`line` with the LaTeX of worked math answers written as plain text: ``\\times``/``\\cdot``
    -> ``×``, ``\\div`` -> ``÷``, ``\\frac{a}{b}`` -> ``(a)/(b)``, ``^2``/``^{3}`` -> ``²``/``³``,
    ``\\boxed{12}`` and ``\\text{ cm}`` -> their content, the ``\\( \\[`` delimiters dropped. Any
    other command stays, so its equation reads as symbolic and is not checked."""
    if "\\" not in line and "^" not in line:
        return line
    for latex, plain in _LATEX_WORDS.items():
        line = line.replace(latex, plain)
    line = re.sub(r"\\[()\[\]]", " ", line)
    for _ in range(4):  # nested fractions and wrappers, innermost first
        line = _WRAPPED.sub(r"\1", _FRAC.sub(r"(\1)/(\2)", line))
    return _POWER.sub(lambda m: "²" if (m.group(1) or m.group(2)) == "2" else "³", line)


def equations(text: str) -> list[tuple[str, float, float, float]]:
    """Each checkable equation in `text`: (its expression, the computed value, the written value,
    the tolerance). LaTeX is read as its plain-text twin first (`plain_math`)."""
    if _OTHER_BASE.search(text):
        return []  # "in base-9, 4+7=12" is right: arithmetic in another base, or modular, is not checked
    found = []
    for line in map(plain_math, text.splitlines()):
        parts = re.split(r"(=|≈)", line)
        for i in range(1, len(parts) - 1, 2):
            left, sign, right = parts[i - 1], parts[i], parts[i + 1]
            if left.rstrip()[-1:] in ("<", ">", "!", "=", "≤", "≥") or right[:1] == "=":
                continue  # "i-1 >= 0", "a == b": a comparison (code), not an equation
            if _LATEX_LEFT.search(left[-80:]) or _PAREN_POWER.search(left[-80:]) or _CALL.search(left[-80:]):
                continue  # LaTeX without a plain twin near the equation (\\sqrt{...}, 10^{-6}): it may be part of it
            if _SCALE.search(left[-80:]) or _SCALE.search(right[:40]) or _CLOCK.search(left[-80:]) or _CLOCK.search(right[:20]):
                continue  # "8.6 million + 200,000 = 9.7935 million", "1:00 PM + 16 hours = 5:00 AM": not plain numbers
            expr = _expression(left)
            result = _RESULT.match(right)
            if expr is None or result is None or result.group("after").startswith("%"):
                continue
            if result.group("after")[:1].isalpha() or result.group("after")[:1] in ("_", "("):
                continue  # "= 2k + 4", "= 5(x - 2)": algebra
            if _RANGE.search(left[-80:]) or _RANGE.match(right[result.start("num"):]):
                continue  # "40 to 50 strikes/s x 60 = 2,400 to 3,000": a range, not one number
            if _CONTINUED.match(result.group("after") + right[result.end():]):
                continue  # the written value goes on ("= 9.91 × 10^-6", "= 5 + c"): not a number to compare
            computed = _evaluate(expr)
            if computed is None or not math.isfinite(computed):
                continue
            written, places = _value(result.group("num"))
            written = -written if result.group("sign") else written
            if not abs(written) < 1e100:
                continue  # a number past what floats compare exactly enough
            if result.group("after")[:1] in ("²", "³"):  # "3² + 4² = 5²"
                written = written ** (2 if result.group("after")[0] == "²" else 3)
            # three or more trailing zeros on a whole number may be a rounding ("= 3,000,000" for 2,985,075:
            # within 50,000); fewer are digits ("$50 − $22 = $30" is a slip)
            digits = result.group("num").replace(",", "")
            zeros = len(digits) - len(digits.rstrip("0")) if not places and digits.strip("0") else 0
            scale = 10.0 ** (zeros - 1) if zeros >= 3 else 10.0 ** -places
            # and a millionth of the value: "20,000,000,000 / 1,440 = 13,888,888" truncates, it does not slip
            tolerance = APPROX * abs(written) if sign == "≈" else 0.5 * scale + 1e-6 * abs(written)
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
