"""The two narrow protocols every later stage (evaluation, serving, curation) depends on.

* `RewardScorer.score(conversations) -> list[float]`: one scalar per (prompt, response).
* `PairwiseJudge.judge(pairs) -> list[Verdict]`: which of two responses is better.

Every `RewardScorer` is also a judge: `ScorerJudge` compares its two scores.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from rewardkit.data.schema import Message, PreferencePair

Conversation = tuple[Sequence[Message], str]  # (prompt turns, response)
Winner = Literal["first", "second", "tie", "unparsed"]


@runtime_checkable
class RewardScorer(Protocol):
    name: str

    def score(self, conversations: Sequence[Conversation]) -> list[float]:
        """One reward per conversation, independent of batch size and order."""
        ...


@dataclass(frozen=True)
class Verdict:
    """A judge's decision on (first, second): the winner, P(first is better) if known, raw output.

    A judge that asked in both orders keeps the two verdicts in `orders`, the second one already
    expressed in the original order (its "first" is the original first response).
    """

    winner: Winner
    prob_first: float | None = None
    raw: str = ""
    orders: tuple["Verdict", "Verdict"] | None = None


@runtime_checkable
class PairwiseJudge(Protocol):
    name: str

    def judge(self, pairs: Sequence[tuple[Sequence[Message], str, str]]) -> list[Verdict]:
        """For each (prompt, first, second), which response is better."""
        ...


class ScorerJudge:
    """A `RewardScorer` used as a `PairwiseJudge`: higher reward wins; equal rewards tie.

    ``prob_first`` is σ(r_first - r_second), the Bradley-Terry probability.
    """

    def __init__(self, scorer: RewardScorer) -> None:
        self.scorer = scorer
        self.name = scorer.name

    def judge(self, pairs: Sequence[tuple[Sequence[Message], str, str]]) -> list[Verdict]:
        convs: list[Conversation] = [(p, a) for p, a, _ in pairs] + [(p, b) for p, _, b in pairs]
        scores = self.scorer.score(convs)
        n = len(pairs)
        out = []
        for a, b in zip(scores[:n], scores[n:]):
            winner: Winner = "first" if a > b else "second" if b > a else "tie"
            out.append(Verdict(winner, 1 / (1 + math.exp(-(a - b))) if abs(a - b) < 700 else float(a > b)))
        return out


def pair_conversations(pairs: Sequence[PreferencePair]) -> list[Conversation]:
    """The chosen conversations of `pairs`, then the rejected ones (the order scorers batch in)."""
    return [(p.prompt, p.chosen) for p in pairs] + [(p.prompt, p.rejected) for p in pairs]


def pair_rewards(rewards: Sequence[float]) -> list[tuple[float, float]]:
    """(chosen, rejected) reward per pair, from the rewards of `pair_conversations`' order."""
    if len(rewards) % 2:
        raise ValueError(f"{len(rewards)} rewards: pair_conversations gives two per pair")
    n = len(rewards) // 2
    return list(zip(rewards[:n], rewards[n:]))


def score_with_progress(
    scorer: RewardScorer, conversations: Sequence[Conversation], on_batch: Callable[[int], None] | None = None
) -> list[float]:
    """`scorer.score`, reporting progress through `on_batch(n)` when the scorer supports it."""
    if on_batch is not None and "on_batch" in inspect.signature(scorer.score).parameters:
        return scorer.score(conversations, on_batch=on_batch)  # type: ignore[call-arg]
    rewards = scorer.score(conversations)
    if on_batch is not None:
        on_batch(len(conversations))
    return rewards
