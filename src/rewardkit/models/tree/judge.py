"""`TreeJudge`: a saved `DecisionTree` as a `PairwiseJudge`; each verdict's ``raw`` is its
explanation, the tests on the path taken (``length Δ=+212 > +40.5 -> ...``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.protocols import Verdict
from rewardkit.models.tree.features import FEATURES, pair_differences
from rewardkit.models.tree.tree import DecisionTree

TREE_FILE = "tree.json"


class TreeJudge:
    def __init__(self, tree: DecisionTree, name: str = "tree") -> None:
        unknown = [f for f in tree.features if f not in FEATURES]
        if unknown:
            raise RewardkitError(f"{name}: the tree uses features this version cannot measure: {unknown}; known: {', '.join(FEATURES)}")
        self.tree = tree
        self.name = name
        self._columns = [FEATURES.index(f) for f in tree.features]

    @classmethod
    def load(cls, folder: str) -> "TreeJudge":
        path = Path(folder) / TREE_FILE if Path(folder).is_dir() else Path(folder)
        if not path.is_file():
            raise RewardkitError(f"{folder}: no {TREE_FILE} (train one with `rewardkit train tree`)")
        return cls(DecisionTree.load(path), name=f"tree:{folder}")

    def judge(self, pairs: Sequence[tuple[Sequence[Message], str, str]]) -> list[Verdict]:
        diffs = pair_differences([a for _, a, _ in pairs], [b for _, _, b in pairs])
        out = []
        for d in diffs:
            p, path = self.tree.predict([d[i] for i in self._columns])
            out.append(Verdict("first" if p > 0.5 else "second" if p < 0.5 else "tie", p, "; ".join(path)))
        return out
