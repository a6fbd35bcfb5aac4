"""A rewardkit scorer as a TRL reward function (``GRPOTrainer(reward_funcs=...)``, RLOO, online DPO).

    from trl import GRPOTrainer
    trainer = GRPOTrainer(model=policy, reward_funcs=reward_function("runs/rm"), train_dataset=prompts)

TRL calls a reward function with ``prompts`` and ``completions`` (plus the dataset's other
columns) and wants one float per completion. Both of TRL's data formats are handled: standard
(strings) and conversational (message lists; the completion is the final assistant message).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.protocols import RewardScorer


def _prompt(value: Any) -> list[Message]:
    if isinstance(value, str):
        return [Message("user", value)]
    return [Message(m["role"], m["content"]) for m in value]


def _completion(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and isinstance(value[-1], dict):
        return value[-1]["content"]
    raise RewardkitError(f"a completion must be a string or a list of messages, got {type(value).__name__}")


def reward_function(scorer: RewardScorer | str, **load_options: Any) -> Callable[..., list[float]]:
    """A TRL reward function scoring with `scorer` (a `RewardScorer`, or a spec for `load_scorer`
    with `load_options`). Its ``__name__`` is what TRL logs the reward under."""
    if isinstance(scorer, str):
        from rewardkit.models.registry import load_scorer

        scorer = load_scorer(scorer, **load_options)

    def reward(prompts: list[Any], completions: list[Any], **_: Any) -> list[float]:
        return scorer.score([(_prompt(p), _completion(c)) for p, c in zip(prompts, completions)])

    reward.__name__ = f"rewardkit_{getattr(scorer, 'name', 'rm')}".replace("/", "_")
    return reward
