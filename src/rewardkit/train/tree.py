"""Fit a decision tree to pairwise decisions (`rewardkit train tree`, `rewardkit explain`).

The decisions are the human labels of preference pairs (chosen beats rejected), or the verdicts
of any scorer or judge on them. Each pair is shown in a seeded random order, so that "first
wins" is half the labels and no order bias can be learned; the tree then takes the feature
differences (first minus second) and is fitted with both orders (`fit_tree`). Pairs are split
by prompt into a fitting set and a held-out set, on which the tree's accuracy is reported next
to "longer wins".
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rewardkit.data.schema import PreferencePair
from rewardkit.models.protocols import PairwiseJudge, RewardScorer, ScorerJudge
from rewardkit.models.tree.features import PairFeatures
from rewardkit.models.tree.linear import LinearCombination, fit_linear
from rewardkit.models.tree.tree import DecisionTree, fit_tree


@dataclass
class TreeFit:
    tree: DecisionTree
    report: dict[str, Any]
    linear: LinearCombination | None = None


def shown_orders(pairs: Sequence[PreferencePair], seed: int) -> list[bool]:
    """Per pair, whether the chosen response is shown first (a seeded coin)."""
    rng = random.Random(seed)
    return [rng.random() < 0.5 for _ in pairs]


def split_by_prompt(n: int, prompts: Sequence[str], held_out: float, seed: int) -> tuple[list[int], list[int]]:
    keys = sorted(set(prompts))
    random.Random(seed).shuffle(keys)
    held = set(keys[: int(round(held_out * len(keys)))])
    fit = [i for i in range(n) if prompts[i] not in held]
    test = [i for i in range(n) if prompts[i] in held]
    return fit, test


def fit_decisions(pairs: Sequence[PreferencePair], prefers_chosen: Sequence[bool], *, max_depth: int = 3,
                  min_samples_leaf: int = 20, class_weight: str | None = None, held_out: float = 0.2, seed: int = 0,
                  features: PairFeatures | None = None, differences: Sequence[Sequence[float]] | None = None) -> TreeFit:
    """Fit a tree, and the linear combination beside it, to decisions on `pairs`
    (`prefers_chosen[i]`: the decider preferred the chosen response). `features` gives the
    columns (default: the measured ones); `differences` (chosen minus rejected, per pair) saves
    recomputing them when several deciders are fitted on the same pairs."""
    features = features or PairFeatures()
    if differences is None:
        differences = chosen_minus_rejected(pairs, features)
    first_is_chosen = shown_orders(pairs, seed)
    x = [list(d) if c else [-v for v in d] for d, c in zip(differences, first_is_chosen)]
    y = [int(pc == c) for pc, c in zip(prefers_chosen, first_is_chosen)]  # 1: the decider preferred the first shown
    fit_idx, test_idx = split_by_prompt(len(pairs), [p.prompt[-1].content if p.prompt else "" for p in pairs], held_out, seed)
    if not fit_idx:
        fit_idx, test_idx = list(range(len(pairs))), []
    tree = fit_tree([x[i] for i in fit_idx], [y[i] for i in fit_idx], list(features.names), max_depth=max_depth,
                    min_samples_leaf=min_samples_leaf, class_weight=class_weight, seed=seed)
    linear = fit_linear([x[i] for i in fit_idx], [y[i] for i in fit_idx], list(features.names)) if len(set(y[i] for i in fit_idx)) > 1 else None

    def accuracy(idx: list[int], predict) -> float | None:  # noqa: ANN001
        return sum(predict(i) == y[i] for i in idx) / len(idx) if idx else None

    length = features.names.index("length")
    tree_pred = lambda i: int(tree.predict(x[i])[0] > 0.5)  # noqa: E731
    linear_pred = lambda i: int(linear.reward(x[i]) > 0)  # noqa: E731
    longer = lambda i: int(x[i][length] > 0)  # noqa: E731
    report = {"pairs": len(pairs), "fit_pairs": len(fit_idx), "held_out_pairs": len(test_idx), "features": list(features.names),
              "depth": tree.depth(), "importances": tree.meta["importances"],
              "fit_accuracy": accuracy(fit_idx, tree_pred), "held_out_accuracy": accuracy(test_idx, tree_pred),
              "linear_held_out_accuracy": accuracy(test_idx, linear_pred) if linear else None,
              "linear_weights": linear.meta["standardised_weights"] if linear else None,
              "longer_wins_held_out": accuracy(test_idx, longer), "longer_wins_all": accuracy(list(range(len(pairs))), longer)}
    tree.meta.update({k: report[k] for k in ("held_out_accuracy", "longer_wins_held_out")})
    if linear:
        linear.meta["held_out_accuracy"] = report["linear_held_out_accuracy"]
    return TreeFit(tree, report, linear)


def attribute_features(folder: Any = None, **options: Any) -> PairFeatures:
    """The measured features, after the attribute rewards of a ``train attributes`` folder when
    given (embeddings cached in that folder, so texts it has seen are not embedded again)."""
    if folder is None:
        return PairFeatures()
    from rewardkit.models.attributes.model import AttributeModel

    return PairFeatures(AttributeModel.load(folder, **options))


def chosen_minus_rejected(pairs: Sequence[PreferencePair], features: PairFeatures) -> list[list[float]]:
    return features.differences([(p.prompt, p.chosen, p.rejected) for p in pairs])


def plot_tree(tree: DecisionTree, path: Any, title: str = "") -> None:
    """The tree as boxes and arrows (matplotlib), leaves coloured by P(first wins)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    positions: dict[int, tuple[float, float]] = {}
    leaves = [0]

    def place(i: int, depth: int) -> float:
        node = tree.nodes[i]
        if node.p_first is not None:
            x = float(leaves[0])
            leaves[0] += 1
        else:
            x = (place(node.left, depth + 1) + place(node.right, depth + 1)) / 2  # type: ignore[arg-type]
        positions[i] = (x, -depth)
        return x

    place(0, 0)
    width = max(leaves[0], 1)
    fig, ax = plt.subplots(figsize=(max(6, 2.2 * width), 1.8 + 1.4 * max(tree.depth(), 1)))
    for i, node in enumerate(tree.nodes):
        if i not in positions:
            continue
        x, y = positions[i]
        if node.p_first is None:
            label = f"{tree.features[node.feature]} Δ\n<= {node.threshold:+.3g}"  # type: ignore[index]
            colour = "#dddddd"
            for child, edge in ((node.left, "yes"), (node.right, "no")):
                cx, cy = positions[child]  # type: ignore[index]
                ax.annotate("", xy=(cx, cy + 0.18), xytext=(x, y - 0.18), arrowprops={"arrowstyle": "->", "color": "grey"})
                ax.text((x + cx) / 2, (y + cy) / 2, edge, fontsize=7, color="grey", ha="center")
        else:
            label = f"first wins\np={node.p_first:.2f}\nn={node.n}"
            colour = plt.cm.RdYlGn(node.p_first)
        ax.text(x, y, label, ha="center", va="center", fontsize=8, bbox={"boxstyle": "round", "fc": colour, "ec": "grey"})
    ax.set_xlim(-0.7, width - 0.3)
    ax.set_ylim(-max(tree.depth(), 1) - 0.6, 0.6)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


@dataclass
class Explanation:
    """How a decider decides on some pairs, beside the human labels (`explain`)."""

    decider: str
    agreement: float  # share of pairs where the decider prefers the chosen response
    fits: dict[str, TreeFit]  # "human labels" and the decider's name

    def table(self) -> list[str]:
        """The markdown summary: per decider, how well its tree reproduces it, its reliance on length."""
        fmt = lambda v: "-" if v is None else f"{100 * v:.1f}%"  # noqa: E731
        lines = ["| decider | tree reproduces it (held out) | length importance | longer wins agrees with it |",
                 "|---|---:|---:|---:|"]
        for name, fit in self.fits.items():
            r = fit.report
            length = r["importances"]["length"] + r["importances"]["log_length"]
            lines.append(f"| {name} | {fmt(r['held_out_accuracy'])} | {length:.2f} | {fmt(r['longer_wins_held_out'])} |")
        return lines

    def markdown(self, data: Sequence[str], plots: Sequence[str]) -> str:
        parts = [f"# How {self.decider} decides, beside the human labels", "",
                 f"{self.fits['human labels'].report['pairs']:,} pairs from {', '.join(data)}. {self.decider} agrees with "
                 f"the human labels on {100 * self.agreement:.1f}% of them (ties count as disagreement).", "", *self.table()]
        for (name, fit), png in zip(self.fits.items(), plots):
            parts += ["", f"## {name}", "", f"![{name}]({png})", "", "```", fit.tree.text().rstrip(), "```"]
        return "\n".join(parts) + "\n"

    def to_dict(self, plots: Sequence[str]) -> dict[str, Any]:
        return {"judge": self.decider, "agreement_with_labels": self.agreement,
                "deciders": {name: {**fit.report, "tree": fit.tree.to_dict(), "plot": png}
                             for (name, fit), png in zip(self.fits.items(), plots)}}


def explain(model: RewardScorer | PairwiseJudge, pairs: Sequence[PreferencePair], name: str, *,
            features: PairFeatures | None = None, **fit_options: Any) -> Explanation:
    """Fit a tree to `model`'s verdicts on `pairs` and one to their human labels (`fit_decisions`
    options), on the same feature columns (`features`: default the measured ones)."""
    decider = model if hasattr(model, "judge") else ScorerJudge(model)  # type: ignore[arg-type]
    verdicts = decider.judge([(p.prompt, p.chosen, p.rejected) for p in pairs])  # type: ignore[union-attr]
    prefers = [v.winner == "first" for v in verdicts]
    features = features or PairFeatures()
    diffs = chosen_minus_rejected(pairs, features)
    fits = {"human labels": fit_decisions(pairs, [True] * len(pairs), features=features, differences=diffs, **fit_options),
            name: fit_decisions(pairs, prefers, features=features, differences=diffs, **fit_options)}
    return Explanation(name, sum(prefers) / len(pairs), fits)
