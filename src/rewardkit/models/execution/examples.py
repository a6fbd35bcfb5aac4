"""The examples a prompt states (``>>> f(3)`` then ``6``, ``assert f(3) == 6``, "`f(3)` should
return `6`", a line ``f(3) => 6``), and how a returned value is compared with the one written.

The notations are language-neutral: HumanEvalPack writes the same doctests in its Python,
JavaScript, C++ and Java prompts, each with that language's call syntax. Which written values a
language can read is the language's (`python_literal` for Python; `loose_value` for the others,
whose results come back as JSON).
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """One example: the call (source in the prompt's language) and the value it should return (as written)."""

    call: str
    expected: str


# "`f(3)` should return `6`", "`f(3)` returns `6`", "`f(3)` -> `6`", "`f(3)` == `6`", "`f(3)` gives `6`"
_STATED = re.compile(r"`([^`\n]+\))`\s*(?:should return|must return|returns|should give|gives|->|==|=>)\s*`([^`\n]+)`")
# a line "f(3) => 6" (also ==>, ->, ➞, ==, "should return", "returns"): docstrings' example notation
_LINE = re.compile(r"^[ \t]*(?:[-*][ \t]+)?([A-Za-z_]\w*\(.*\))[ \t]*(?:==>|=>|->|➞|==|should return|returns)[ \t]*(.+?)[ \t]*$", re.MULTILINE)
# a fenced block of a response: its language label and its body
FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.DOTALL)
_ASSERT = re.compile(r"^\s*assert\s+(.+?)\s*==\s*(.+?)\s*$", re.MULTILINE)


_CONSTANT_NAMES = {"True", "False", "None", "true", "false", "null", "undefined", "nullptr", "NaN", "Infinity"}


def called(call: str) -> str | None:
    """The name of the function `call` calls (``f(...)`` with a plain name), else None; None too
    when an argument names a variable (``f(a)`` for ``f('a')``: nothing defines it, so the
    example cannot run). Read with Python's parser, which also reads the calls of the other
    languages' doctests (``f({1, 2})``, ``f(Arrays.asList(1, 2))``, ``f('a')``)."""
    try:
        node = ast.parse(call.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    # names that are called (str(1)) or qualified (Arrays.asList) are the language's; a bare one is a variable
    allowed = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    allowed |= {id(n.value) for n in ast.walk(node) if isinstance(n, ast.Attribute)}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and id(n) not in allowed and n.id not in _CONSTANT_NAMES:
            return None
    return node.func.id


def python_literal(source: str) -> bool:
    try:
        ast.literal_eval(source.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def prompt_checks(prompt: str, readable: Callable[[str], bool] = python_literal) -> list[Check]:
    """The examples `prompt` states, duplicates once: doctests (``>>> call`` then the value on the
    next line), ``assert call == value`` lines, "`call` should return `value`", and lines
    ``call => value`` (or ``==>``, ``->``, ``➞``, ``==``, "should return", "returns"). Only
    calls of a named function whose expected value `readable` accepts count."""
    found: list[Check] = []
    lines = prompt.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">>> ") and i + 1 < len(lines):
            value = lines[i + 1].strip()
            if value and not value.startswith(">>>"):
                found.append(Check(stripped[4:].strip(), value))
    found += [Check(c.strip(), v.strip()) for c, v in _ASSERT.findall(prompt)]
    found += [Check(c.strip(), v.strip()) for c, v in _STATED.findall(prompt)]
    found += [Check(c.strip(), v.strip().rstrip(".,;")) for c, v in _LINE.findall(prompt)]
    out: list[Check] = []
    for check in found:
        if check not in out and called(check.call) and readable(check.expected):
            out.append(check)
    return out


UNREADABLE = object()  # what `loose_value` returns for text that is not a value
_STRING = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")
_WORDS = {"true": "True", "false": "False", "null": "None", "nullptr": "None", "undefined": "None"}


def _outside_strings(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to what lies between its string literals."""
    out, at = [], 0
    for m in _STRING.finditer(text):
        out += [change(text[at:m.start()]), m.group()]
        at = m.end()
    return "".join(out + [change(text[at:])])


def loose_value(text: str, braces_are_lists: bool = False) -> object:
    """A value written the way HumanEvalPack's non-Python prompts write them: JSON, a Python
    literal (single quotes, tuples), ``true``/``false``/``null``, and (C++, `braces_are_lists`)
    ``{1, 2}`` for a list. `UNREADABLE` for anything else (prose, ``Optional[a]``)."""
    text = text.strip()
    if braces_are_lists:
        text = _outside_strings(text, lambda s: s.replace("{", "[").replace("}", "]"))
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    python = _outside_strings(text, lambda s: re.sub(r"\b(true|false|null|nullptr|undefined)\b", lambda m: _WORDS[m.group(1)], s))
    try:
        return ast.literal_eval(python)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return UNREADABLE


def same(got: object, expected: object, strict_sequences: bool = True) -> bool:
    """Whether a returned value equals the expected one: numbers to a relative 1e-6 (so a
    doctest's rounded float passes), a bool only equals a bool (doctests tell ``True`` from
    ``1``), sequences item by item (a tuple equals a list only when not `strict_sequences`:
    JSON, which the other languages' results come back in, has no tuples), dicts by key."""
    if isinstance(got, bool) or isinstance(expected, bool):
        return isinstance(got, bool) and isinstance(expected, bool) and got is expected
    if isinstance(got, (int, float)) and isinstance(expected, (int, float)):
        return math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(got, (list, tuple)) and isinstance(expected, (list, tuple)):
        if strict_sequences and type(got) is not type(expected):
            return False
        return len(got) == len(expected) and all(same(a, b, strict_sequences) for a, b in zip(got, expected))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(same(got[k], expected[k], strict_sequences) for k in got)
    return got == expected
