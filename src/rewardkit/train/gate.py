"""Fit a prompt gate (`rewardkit train gate`; `rewardkit.models.gate`).

Each distinct prompt of the training pairs is labelled sensitive when a pair of it comes from a
`positive` source, subset or synthetic family (e.g. ``synth-safety-refuse`` and
``harmless-base-test``), and not otherwise; the over-refusal family (harmless requests worded
like harmful ones, ``safety-respond``) is the negatives that teach the gate the difference.
A class-balanced logistic regression (scikit-learn) is fit on the encoder's prompt embeddings.
With development pairs the report gives the ROC AUC, the accuracy at 0.5 and the mean
probability per source / subset there, so a user sees where the gate would fire.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rewardkit.data.schema import PreferencePair
from rewardkit.errors import RewardkitError
from rewardkit.models.gate import PromptGate, prompt_text


def pair_tags(pair: PreferencePair) -> set[str]:
    """What a `positive` selector can name: the pair's source, subset and synthetic family."""
    family = (pair.meta or {}).get("family") if isinstance(pair.meta, dict) else None
    return {t for t in (pair.source, pair.subset, family) if t}


def label_prompts(pairs: Iterable[PreferencePair], positive: Sequence[str]) -> tuple[list[Any], list[int], list[str]]:
    """Distinct prompts (by `prompt_text`), their labels (1: a pair of the prompt is from a
    `positive` source, subset or family) and the first pair's ``source/subset`` for the report."""
    wanted = set(positive)
    index: dict[str, int] = {}
    prompts: list[Any] = []
    labels: list[int] = []
    origins: list[str] = []
    for pair in pairs:
        key = prompt_text(pair.prompt)
        hit = int(bool(pair_tags(pair) & wanted))
        if key in index:
            labels[index[key]] |= hit
            continue
        index[key] = len(prompts)
        prompts.append(pair.prompt)
        labels.append(hit)
        origins.append(f"{pair.source}/{pair.subset}" if pair.subset else pair.source)
    return prompts, labels, origins


def fit_gate(embeddings: Any, labels: Sequence[int], encoder: str, *, c: float = 1.0, meta: dict[str, Any] | None = None,
             embedder: Any = None) -> PromptGate:
    """Class-balanced logistic regression of `labels` on `embeddings` ([n, hidden]); `embedder`, the
    loaded encoder that made them, is kept for the gate's own calls."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(labels)
    if y.min() == y.max():
        raise RewardkitError(f"the gate needs prompts of both kinds; all {len(y):,} are {'sensitive' if y[0] else 'not sensitive'} "
                             "(check --positive against the pairs' source, subset and meta.family)")
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(np.asarray(embeddings, dtype=np.float64), y)
    return PromptGate(encoder, lr.coef_[0].tolist(), float(lr.intercept_[0]), dict(meta or {}), _embedder=embedder)


def gate_report(probs: Sequence[float], labels: Sequence[int], origins: Sequence[str]) -> dict[str, Any]:
    """ROC AUC (None with one class), accuracy at 0.5, positives, and mean probability by origin."""
    from sklearn.metrics import roc_auc_score

    by: dict[str, list[float]] = {}
    for p, o in zip(probs, origins):
        by.setdefault(o, []).append(p)
    both = 0 < sum(labels) < len(labels)
    return {"prompts": len(labels), "sensitive": int(sum(labels)),
            "auc": float(roc_auc_score(labels, probs)) if both else None,
            "accuracy": sum((p >= 0.5) == bool(y) for p, y in zip(probs, labels)) / len(labels) if labels else None,
            "mean_probability": {o: round(sum(v) / len(v), 4) for o, v in sorted(by.items())}}


def train_gate(train: Sequence[PreferencePair], positive: Sequence[str], *, dev: Sequence[PreferencePair] = (), encoder: str = "minilm",
               c: float = 1.0, on_batch: Callable[[int], None] | None = None, **options: Any) -> tuple[PromptGate, dict[str, Any]]:
    """The fitted gate and its report (training and, with `dev`, development metrics)."""
    import time

    from rewardkit.models.relevance import RelevanceScorer

    started = time.perf_counter()
    if not positive:
        raise RewardkitError("name at least one --positive source, subset or family")
    prompts, labels, origins = label_prompts(train, positive)
    embedder = RelevanceScorer.load(f"relevance:{encoder}", **options)
    emb = embedder.embed_texts([prompt_text(p) for p in prompts], on_batch).numpy()
    gate = fit_gate(emb, labels, encoder, c=c, meta={"positive": list(positive), "C": c, "prompts": len(prompts), "sensitive": sum(labels)},
                    embedder=embedder)  # the development prompts reuse the loaded encoder
    report = {"train": gate_report(gate.probabilities(emb), labels, origins)}
    if dev:
        d_prompts, d_labels, d_origins = label_prompts(dev, positive)
        report["dev"] = gate_report(gate.probability(d_prompts), d_labels, d_origins)
    report["truncated"] = embedder.truncated
    report["seconds"] = time.perf_counter() - started  # embedding, fitting and the report
    return gate, report
