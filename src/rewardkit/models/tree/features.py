"""Per-response features measured from the text, no model needed.

| name | what |
|---|---|
| ``length`` | word and punctuation tokens (``\\w+`` or one other non-space character): a tokenizer-free length |
| ``log_length`` | log(1 + length): differences of it are log length ratios |
| ``markdown`` | structure marks: headings, list items, fenced code blocks, bold spans, table rows |
| ``refusal`` | 1 when the response opens by declining ("I can't help with that", "I'm sorry, but"), else 0 |

A pair's features are the first response's minus the second's (`pair_differences`), so that
swapping the two responses negates them. `PairFeatures` puts attribute rewards from an
`AttributeModel` (``rewardkit train attributes``) in front of these measured columns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rewardkit.data.schema import Message

if TYPE_CHECKING:
    from rewardkit.models.attributes.model import AttributeModel

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


class PairFeatures:
    """Feature columns of responses: the attribute rewards of `attributes` (if any), then `FEATURES`."""

    def __init__(self, attributes: "AttributeModel | None" = None) -> None:
        self.attributes = attributes
        clash = set(attributes.names) & set(FEATURES) if attributes else set()
        if clash:
            raise ValueError(f"attribute names {sorted(clash)} clash with measured features")
        self.names = [*(attributes.names if attributes else []), *FEATURES]

    def responses(self, conversations: Sequence[tuple[Sequence[Message], str]]) -> list[list[float]]:
        """One row of `names` per (prompt, response)."""
        measured = [response_features(r) for _, r in conversations]
        if self.attributes is None or not conversations:
            return measured
        rewards = self.attributes.rewards(conversations).tolist()
        return [a + m for a, m in zip(rewards, measured)]

    def differences(self, pairs: Sequence[tuple[Sequence[Message], str, str]]) -> list[list[float]]:
        """First minus second, per pair (antisymmetric by construction)."""
        rows = self.responses([(p, a) for p, a, _ in pairs] + [(p, b) for p, _, b in pairs])
        n = len(pairs)
        return [[x - y for x, y in zip(rows[i], rows[n + i])] for i in range(n)]
