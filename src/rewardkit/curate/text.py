"""Text normalisation and n-grams shared by decontamination and deduplication.

Normalised text is the lower-cased sequence of word tokens (``\\w+`` runs, Unicode-aware), so
punctuation, spacing and case do not hide a match: ``"What's 2+2?"`` -> ``["what", "s", "2", "2"]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rewardkit.data.chat import user_turns
from rewardkit.data.schema import PreferencePair

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The normalised word sequence of `text`."""
    return _WORD.findall(text.lower())


def ngrams(tokens: list[str], n: int) -> Iterator[tuple[str, ...]]:
    """Contiguous n-grams of `tokens` (none when there are fewer than `n`)."""
    return (tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def user_texts(pair: PreferencePair) -> tuple[str, ...]:
    """The user turns of the prompt: what a benchmark prompt can leak into."""
    return tuple(user_turns(pair.prompt))


def prompt_key(pair: PreferencePair) -> str:
    """One string for the whole prompt (roles and contents), for grouping pairs by prompt."""
    return "\x1e".join(f"{m.role}\x1f{m.content}" for m in pair.prompt)


def get_field(pair: PreferencePair, path: str) -> object:
    """A value addressed as ``source``, ``scores.NAME`` or ``meta.KEY[.KEY...]``; None if absent."""
    head, _, rest = path.partition(".")
    if head == "scores":
        return pair.scores.get(rest)
    if head == "meta":
        value: object = pair.meta
        for key in rest.split("."):
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value
    if head in ("source", "subset", "id", "margin") and not rest:
        return getattr(pair, head)
    raise ValueError(f"cannot address {path!r}: use source, subset, id, margin, scores.NAME or meta.KEY")
