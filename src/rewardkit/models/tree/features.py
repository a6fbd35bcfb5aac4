"""Per-response features measured from the text, no model needed.

| name | what |
|---|---|
| ``length`` | word and punctuation tokens (``\\w+`` or one other non-space character): a tokenizer-free length |
| ``log_length`` | log(1 + length): differences of it are log length ratios |
| ``markdown`` | structure marks: headings, list items, fenced code blocks, bold spans, table rows |
| ``refusal`` | 1 when the response opens by declining ("I can't help with that", "I'm sorry, but"), else 0 |

A pair's features are the first response's minus the second's (`pair_differences`), so that
swapping the two responses negates them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

FEATURES = ("length", "log_length", "markdown", "refusal")

_TOKEN = re.compile(r"\w+|[^\w\s]")
_MARKDOWN = re.compile(r"^\s*(?:#{1,6}\s|[-*+]\s|\d+[.)]\s|```|\|.*\|\s*$)|\*\*[^*\n]+\*\*", re.M)
_REFUSAL = re.compile(
    r"^\W*(?:i'?m sorry|i am sorry|sorry,? but|i (?:can(?:no|')t|cannot|won'?t|will not|am unable|'m unable|am not able)"
    r"|as an ai|i must (?:decline|refuse)|unfortunately,? i (?:can(?:no|')t|cannot))", re.I)


def response_features(text: str) -> list[float]:
    """The `FEATURES` of one response, in order."""
    n = len(_TOKEN.findall(text))
    return [float(n), math.log1p(n), float(len(_MARKDOWN.findall(text))), float(bool(_REFUSAL.search(text[:200])))]


def pair_differences(firsts: Sequence[str], seconds: Sequence[str]) -> list[list[float]]:
    """First minus second, feature by feature, for each pair."""
    return [[a - b for a, b in zip(response_features(x), response_features(y))] for x, y in zip(firsts, seconds)]
