"""Reward-model ensembles: the weighted mean of several scorers' rewards.

    scorer = load_scorer("ensemble:runs/rm-a,runs/rm-b@0.5")
    scorer.score(conversations)  # (1.0 * r_a + 0.5 * r_b) / 1.5 per conversation

Members are any scorer specs (`rewardkit.models.registry`), each with an optional ``@WEIGHT``
(default 1). Rewards are averaged as the members return them: a model trained by ``rewardkit
train rm`` with ``normalize: true`` (``--normalize``) returns rewards standardized on its held-out
data (the ``normalization`` in its config), so members trained apart are on one scale, and a
weight picked beside one training of a model holds for the next; models trained without it,
baselines and hub models are not, and their weights have to say how much they count. Each member scores every conversation (k members cost k
scoring passes); an ensemble of two backbones is the issue's "ensembling" lever, and a mean of
rewards is less exploitable by an RL policy than one model's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rewardkit.console import rescaled
from rewardkit.errors import RewardkitError
from rewardkit.models.protocols import Conversation, RewardScorer, score_with_progress

PREFIX = "ensemble:"


def parse_ensemble_spec(spec: str) -> list[tuple[str, float]]:
    """``ensemble:A,B@0.5`` -> ``[("A", 1.0), ("B", 0.5)]``."""
    body = spec[len(PREFIX):] if spec.startswith(PREFIX) else spec
    members = []
    for part in body.split(","):
        name, sep, weight = part.strip().rpartition("@") if "@" in part else (part.strip(), "", "")
        if not name:
            raise RewardkitError(f"empty member in {spec!r}; use ensemble:MODEL[@WEIGHT],MODEL[@WEIGHT]...")
        try:
            w = float(weight) if sep else 1.0
        except ValueError:
            raise RewardkitError(f"bad weight {weight!r} for {name!r} in {spec!r}; use MODEL@NUMBER") from None
        if not w > 0:
            raise RewardkitError(f"weight of {name!r} in {spec!r} must be > 0, got {w}")
        members.append((name, w))
    if len(members) < 2:
        raise RewardkitError(f"an ensemble needs at least two members, got {spec!r}")
    return members


class EnsembleScorer:
    """The weighted mean of `members`' rewards (see the module docstring)."""

    def __init__(self, members: Sequence[tuple[RewardScorer, float]], name: str | None = None) -> None:
        if len(members) < 2:
            raise RewardkitError("an ensemble needs at least two members")
        self.members = list(members)
        self.total = sum(w for _, w in self.members)
        self.name = name or PREFIX + ",".join(f"{m.name}@{w:g}" for m, w in self.members)

    @classmethod
    def load(cls, spec: str, **kwargs: Any) -> "EnsembleScorer":
        """Members loaded with `load_scorer` and the same options."""
        from rewardkit.models.registry import load_scorer

        return cls([(load_scorer(name, **kwargs), w) for name, w in parse_ensemble_spec(spec)], name=spec)

    @property
    def truncated(self) -> int:
        return max((getattr(m, "truncated", 0) for m, _ in self.members), default=0)

    @property
    def normalization(self) -> list[Any]:
        return [getattr(m, "normalization", None) for m, _ in self.members]

    def score(self, conversations: Sequence[Conversation], on_batch: Callable[[int], None] | None = None) -> list[float]:
        out = [0.0] * len(conversations)
        # members report in turn; the caller sees one pass over the conversations
        advance = rescaled(on_batch, len(self.members) * len(conversations), len(conversations))
        for member, weight in self.members:
            rewards = score_with_progress(member, conversations, advance)
            if len(rewards) != len(conversations):
                raise RewardkitError(f"ensemble member {member.name} returned {len(rewards)} rewards for {len(conversations)} conversations")
            for i, r in enumerate(rewards):
                out[i] += weight * r
        return [v / self.total for v in out]
