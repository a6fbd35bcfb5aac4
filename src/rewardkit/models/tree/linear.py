"""The scalar alternative to the tree, ArmoRM-style: a linear combination of a response's
features (attribute rewards and measured features), reward(x) = Σ_j w_j f_j(x).

The weights come from a logistic regression without intercept on the pairs' feature
differences (both orders), so reward differences are Bradley-Terry logits; a folder with
``linear.json`` loads as a `RewardScorer` (``linear:DIR``) for best-of-N and RLHF, which need one
number per response.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardkit.errors import RewardkitError
from rewardkit.models.protocols import Conversation
from rewardkit.models.tree.features import PairFeatures

LINEAR_FILE = "linear.json"


@dataclass
class LinearCombination:
    features: list[str]
    weights: list[float]
    meta: dict[str, Any]

    def reward(self, row: Sequence[float]) -> float:
        return float(sum(w * v for w, v in zip(self.weights, row)))

    def save(self, path: Path) -> None:
        from rewardkit.data.containers import write_text_atomic

        data = {"format": "rewardkit-linear/1", "features": self.features, "weights": self.weights, "meta": self.meta}
        write_text_atomic(path, json.dumps(data, indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> "LinearCombination":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != "rewardkit-linear/1":
                raise ValueError(f"format {data.get('format')!r} is not rewardkit-linear/1")
            features, weights = [str(f) for f in data["features"]], [float(w) for w in data["weights"]]
            if len(features) != len(weights):
                raise ValueError("features and weights differ in length")
            return cls(features, weights, dict(data.get("meta") or {}))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise RewardkitError(f"{path}: not a rewardkit linear combination: {e}") from None


def fit_linear(x: list[list[float]], y: list[int], features: list[str], *, c: float = 1.0) -> LinearCombination:
    """Logistic regression on standardised differences `x` (labels 1: the first wins), both
    orders, no intercept; weights are returned in the features' own units."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    d = np.asarray(x, dtype=np.float64)
    scale = d.std(0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    z = d / scale
    both = np.concatenate([z, -z])
    labels = np.concatenate([np.asarray(y), 1 - np.asarray(y)])
    coef = LogisticRegression(C=c, fit_intercept=False, max_iter=5000).fit(both, labels).coef_[0]
    weights = (coef / scale).tolist()
    return LinearCombination(list(features), weights, {"C": c, "pairs": len(x),
                                                       "standardised_weights": dict(zip(features, np.round(coef, 4).tolist()))})


class LinearScorer:
    """`RewardScorer`: the linear combination of a tree folder's features."""

    margin_is_logit = True

    def __init__(self, combination: LinearCombination, features: PairFeatures, name: str = "linear") -> None:
        missing = [f for f in combination.features if f not in features.names]
        if missing:
            raise RewardkitError(f"{name}: the combination uses features this folder cannot compute: {missing}")
        self.combination = combination
        self.features = features
        self.name = name
        self._columns = [features.names.index(f) for f in combination.features]

    @classmethod
    def load(cls, folder: str, **options: Any) -> "LinearScorer":
        from rewardkit.models.tree.judge import load_features

        path = Path(folder) / LINEAR_FILE
        if not path.is_file():
            raise RewardkitError(f"{folder}: no {LINEAR_FILE} (`rewardkit train tree` writes one beside the tree)")
        return cls(LinearCombination.load(path), load_features(Path(folder), **options), name=f"linear:{folder}")

    def score(self, conversations: Sequence[Conversation], on_batch: Callable[[int], None] | None = None) -> list[float]:
        rows = self.features.responses(conversations)
        if on_batch:
            on_batch(len(rows))
        return [self.combination.reward([row[i] for i in self._columns]) for row in rows]
