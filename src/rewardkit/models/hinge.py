"""A hinged ensemble member: only a shortfall below a threshold counts.

    load_scorer("hinge:26.8:pmi:smollm2")   # min(0, PMI - 26.8) per conversation
    load_scorer("ensemble:runs/quality/rm-quality,gated:runs/quality/gate:hinge:26.8:pmi:smollm2@0.05")

``hinge:TAU:MEMBER`` returns ``min(0, r - TAU)`` for the member's reward ``r``: a penalty in
proportion to how far the response falls below ``TAU``, and nothing for exceeding it.

Why: a language model's PMI of instruction and response (`rewardkit.models.likelihood`) tells an
answer to *this* instruction from an answer to another one or from an evasion, which read low.
Above that, it mostly grows with the response's length (it is a sum over tokens) and fluency,
which the trained reward model already judges, and which LLMBar-style pairs use against it.
Hinged, the member vetoes the off-instruction answer and leaves on-topic answers to the other
members. ``TAU`` is in the member's own units; `bench/lm_weight.py --hinge Q` tabulates the
member hinged at its Q-quantile on the development split.

Composes with the other specs: ``gated:GATE:hinge:TAU:MEMBER`` gates the hinged member, and
``hinge:TAU:gated:GATE:MEMBER`` hinges the gated one (not the same: the gate scales the
threshold too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewardkit.errors import RewardkitError
from rewardkit.models.protocols import Conversation, RewardScorer
from rewardkit.models.wrapped import WrappedScorer

PREFIX = "hinge:"


def parse_hinge_spec(spec: str) -> tuple[float, str]:
    """``hinge:TAU:MEMBER`` -> ``(TAU, MEMBER)``; the member may hold colons (``pmi:smollm2``)."""
    body = spec[len(PREFIX):] if spec.startswith(PREFIX) else ""
    tau, sep, member = body.partition(":")
    try:
        threshold = float(tau)
    except ValueError:
        threshold = float("nan")
    if threshold != threshold or threshold in (float("inf"), float("-inf")) or not sep or not member.strip():
        raise RewardkitError(f"bad hinge spec {spec!r}; use hinge:THRESHOLD:MEMBER with a finite number (e.g. hinge:26.8:pmi:smollm2)")
    return threshold, member


def hinge(rewards: Sequence[float], threshold: float) -> list[float]:
    """``min(0, r - threshold)`` for each reward."""
    return [min(0.0, r - threshold) for r in rewards]


class HingeScorer(WrappedScorer):
    """`RewardScorer`: `member`'s shortfall below `threshold`, ``min(0, r - threshold)`` (module docstring)."""

    def __init__(self, member: RewardScorer, threshold: float, name: str | None = None) -> None:
        self.member = member
        self.threshold = threshold
        self.name = name or f"{PREFIX}{threshold:g}:{member.name}"

    @classmethod
    def load(cls, spec: str, **kwargs: Any) -> "HingeScorer":
        """The threshold and the member spec (loaded by `load_scorer` with `kwargs`)."""
        from rewardkit.models.registry import load_scorer

        threshold, member = parse_hinge_spec(spec)
        return cls(load_scorer(member, **kwargs), threshold, name=spec)

    def reshape(self, conversations: Sequence[Conversation], rewards: list[float]) -> list[float]:
        return hinge(rewards, self.threshold)
