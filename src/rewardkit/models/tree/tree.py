"""`DecisionTree`: a binary decision tree on pair feature differences, as data.

Fitting uses scikit-learn's `DecisionTreeClassifier` (`fit_tree`); the fitted tree is turned into
plain nodes and saved as JSON, so a saved tree loads and predicts with the standard library alone
and nothing is unpickled.

Each pair goes into training twice, as (first, second) with its label and as (second, first)
with the flipped label, so the tree sees both orders equally. The probability that the first
response wins is then made exactly antisymmetric by averaging both orders at prediction time:
P(first | d) = (p(d) + 1 - p(-d)) / 2, so swapping the responses gives 1 - P.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rewardkit.errors import RewardkitError


@dataclass
class Node:
    """A split (``feature``, ``threshold``: go left when value <= threshold) or a leaf (``p_first``)."""

    feature: int | None = None
    threshold: float | None = None
    left: int | None = None
    right: int | None = None
    p_first: float | None = None  # leaves: the share of training rows where the first response won
    n: int = 0


@dataclass
class DecisionTree:
    features: list[str]
    nodes: list[Node] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    # -- prediction ------------------------------------------------------------------------
    def _leaf(self, x: list[float]) -> tuple[Node, list[str]]:
        node, path = self.nodes[0], []
        while node.p_first is None:
            name, value, t = self.features[node.feature], x[node.feature], node.threshold  # type: ignore[index]
            go_left = value <= t  # type: ignore[operator]
            path.append(f"{name} Δ={value:+.3g} {'<=' if go_left else '>'} {t:+.3g}")
            node = self.nodes[node.left if go_left else node.right]  # type: ignore[index]
        return node, path

    def predict(self, x: list[float]) -> tuple[float, list[str]]:
        """P(first wins) for one difference vector, antisymmetric, and the path taken in the order given."""
        leaf, path = self._leaf(x)
        mirror, _ = self._leaf([-v for v in x])
        p = (leaf.p_first + 1.0 - mirror.p_first) / 2  # type: ignore[operator]
        return p, path + [f"-> P(first) {leaf.p_first:.2f}; swapped order {1 - mirror.p_first:.2f}; mean {p:.2f}"]  # type: ignore[operator]

    def depth(self) -> int:
        def d(i: int) -> int:
            node = self.nodes[i]
            return 0 if node.p_first is not None else 1 + max(d(node.left), d(node.right))  # type: ignore[arg-type]

        return d(0)

    def text(self) -> str:
        """The tree as indented text (what `rewardkit train tree` prints)."""
        lines: list[str] = []

        def walk(i: int, indent: str) -> None:
            node = self.nodes[i]
            if node.p_first is not None:
                lines.append(f"{indent}-> first wins with p={node.p_first:.2f} (n={node.n})")
                return
            name, t = self.features[node.feature], node.threshold  # type: ignore[index]
            lines.append(f"{indent}if {name} Δ <= {t:+.3g}:")
            walk(node.left, indent + "    ")  # type: ignore[arg-type]
            lines.append(f"{indent}else:  # {name} Δ > {t:+.3g}")
            walk(node.right, indent + "    ")  # type: ignore[arg-type]

        walk(0, "")
        return "\n".join(lines) + "\n"

    # -- storage ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"format": "rewardkit-tree/1", "features": self.features, "nodes": [asdict(n) for n in self.nodes], "meta": self.meta}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "tree") -> "DecisionTree":
        try:
            if data.get("format") != "rewardkit-tree/1":
                raise ValueError(f"format {data.get('format')!r} is not rewardkit-tree/1")
            tree = cls(list(data["features"]), [Node(**n) for n in data["nodes"]], dict(data.get("meta") or {}))
            for i, n in enumerate(tree.nodes):
                if n.p_first is None and not (isinstance(n.feature, int) and 0 <= n.feature < len(tree.features)
                                              and isinstance(n.threshold, (int, float)) and n.left is not None and n.right is not None
                                              and i < n.left < len(tree.nodes) and i < n.right < len(tree.nodes)):
                    raise ValueError(f"node {i} is neither a leaf nor a valid split")
            if not tree.nodes:
                raise ValueError("no nodes")
            return tree
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise RewardkitError(f"{where}: not a rewardkit tree: {e}") from None

    def save(self, path: str | Path) -> None:
        from rewardkit.data.containers import write_text_atomic

        write_text_atomic(path, json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "DecisionTree":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise RewardkitError(f"{path}: cannot read the tree: {e}") from None
        return cls.from_dict(data if isinstance(data, dict) else {}, str(path))


def fit_tree(x: list[list[float]], y: list[int], features: list[str], *, max_depth: int = 3, min_samples_leaf: int = 20,
             class_weight: str | None = None, seed: int = 0) -> DecisionTree:
    """Fit on difference vectors `x` with labels `y` (1: the first response wins), both orders."""
    from sklearn.tree import DecisionTreeClassifier

    if not x:
        raise RewardkitError("no pairs to fit the tree on")
    both_x = [row for row in x] + [[-v for v in row] for row in x]
    both_y = list(y) + [1 - v for v in y]
    clf = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_samples_leaf, class_weight=class_weight, random_state=seed)
    clf.fit(both_x, both_y)
    t = clf.tree_
    classes = list(clf.classes_)
    nodes = []
    for i in range(t.node_count):
        if t.children_left[i] == -1:
            counts = t.value[i][0]
            total = float(sum(counts))
            p = float(counts[classes.index(1)] / total) if 1 in classes and total else (1.0 if classes == [1] else 0.0)
            nodes.append(Node(p_first=p, n=int(t.n_node_samples[i])))
        else:
            nodes.append(Node(feature=int(t.feature[i]), threshold=float(t.threshold[i]), left=int(t.children_left[i]),
                              right=int(t.children_right[i]), n=int(t.n_node_samples[i])))
    importances = {f: round(float(v), 4) for f, v in zip(features, clf.feature_importances_)}
    return DecisionTree(list(features), nodes, {"max_depth": max_depth, "min_samples_leaf": min_samples_leaf,
                                                  "class_weight": class_weight, "pairs": len(x), "importances": importances})
