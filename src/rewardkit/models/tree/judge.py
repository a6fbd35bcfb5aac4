"""`TreeJudge`: a saved `DecisionTree` as a `PairwiseJudge`; each verdict's ``raw`` is its
explanation, the tests on the path taken (``correctness Δ=+0.81 > +0.3 -> ...``).

A tree folder holds ``tree.json`` and, when the tree uses attribute rewards, ``attributes/``
(the heads of ``rewardkit train attributes``, naming their backbone), so ``tree:DIR`` loads alone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.protocols import Verdict
from rewardkit.models.tree.features import PairFeatures
from rewardkit.models.tree.tree import DecisionTree

TREE_FILE = "tree.json"
ATTRIBUTES_DIR = "attributes"


def load_features(folder: Path, **options: Any) -> PairFeatures:
    """The features a tree folder was fitted with: its ``attributes/`` heads plus the measured
    ones. Embeddings are not cached unless ``REWARDKIT_EMBEDDING_CACHE`` names a cache file."""
    if (folder / ATTRIBUTES_DIR / "attributes.json").is_file():
        from rewardkit.models.attributes.model import AttributeModel

        cache = os.environ.get("REWARDKIT_EMBEDDING_CACHE") or False
        return PairFeatures(AttributeModel.load(folder / ATTRIBUTES_DIR, cache=cache, **options))
    return PairFeatures()


class TreeJudge:
    def __init__(self, tree: DecisionTree, features: PairFeatures | None = None, name: str = "tree") -> None:
        self.features = features or PairFeatures()
        unknown = [f for f in tree.features if f not in self.features.names]
        if unknown:
            raise RewardkitError(f"{name}: the tree uses features this folder cannot compute: {unknown}; "
                                 f"available: {', '.join(self.features.names)}")
        self.tree = tree
        self.name = name
        self._columns = [self.features.names.index(f) for f in tree.features]

    @classmethod
    def load(cls, folder: str, **options: Any) -> "TreeJudge":
        path = Path(folder) / TREE_FILE if Path(folder).is_dir() else Path(folder)
        if not path.is_file():
            raise RewardkitError(f"{folder}: no {TREE_FILE} (train one with `rewardkit train tree`)")
        return cls(DecisionTree.load(path), load_features(path.parent, **options), name=f"tree:{folder}")

    def judge(self, pairs: Sequence[tuple[Sequence[Message], str, str]]) -> list[Verdict]:
        out = []
        for d in self.features.differences(pairs):
            p, path = self.tree.predict([d[i] for i in self._columns])
            out.append(Verdict("first" if p > 0.5 else "second" if p < 0.5 else "tie", p, "; ".join(path)))
        return out
