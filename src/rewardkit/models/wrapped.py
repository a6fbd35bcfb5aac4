"""Scorers that reshape one member's rewards (``gated:``, ``hinge:``): the member scores, the
wrapper maps its rewards, and the member's truncation count and normalization pass through.

A subclass sets ``member`` and implements `reshape` (or, like `rewardkit.models.cached`, its
own `score`); a reshaped reward is no Bradley-Terry logit, so ``margin_is_logit`` is False
(evaluation reports no calibration for it) unless the subclass says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rewardkit.models.protocols import Conversation, RewardScorer, score_with_progress


class WrappedScorer:
    """`RewardScorer`: `reshape(conversations, member's rewards)`."""

    margin_is_logit = False
    member: RewardScorer
    name: str

    @property
    def truncated(self) -> int:
        return getattr(self.member, "truncated", 0)

    @property
    def normalization(self) -> Any:
        return getattr(self.member, "normalization", None)

    def reshape(self, conversations: Sequence[Conversation], rewards: list[float]) -> list[float]:
        raise NotImplementedError

    def score(self, conversations: Sequence[Conversation], on_batch: Callable[[int], None] | None = None) -> list[float]:
        return self.reshape(conversations, score_with_progress(self.member, conversations, on_batch))
