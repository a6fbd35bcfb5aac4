"""Fit attribute heads on frozen embeddings (`rewardkit train attributes`).

Every distinct text of the training data is embedded once by the frozen backbone (cached on
disk, `rewardkit.models.attributes.embeddings`); then, per attribute,

* ratings (``RatedResponse``) get a ridge regression head: the rating from the embedding;
* pairwise labels get a Bradley-Terry linear head: logistic regression without intercept on the
  embedding differences, both orders, so P(a beats b) = sigmoid(w · (x_a - x_b)).

Embeddings are standardised for the fit (per dimension) and the scaling is folded back into
the stored weights. The regularisation strength is chosen per head on a development split
carved by prompt from the training data (ridge: Pearson r of predicted ratings; BT: pair
accuracy), then the head is refitted on all of it. Fitting takes seconds on cached embeddings.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rewardkit.data.attributes import is_ratings_file, pair_attributes, read_ratings
from rewardkit.data.io import ReadReport, read_pairs
from rewardkit.data.schema import FieldError, Message, PreferencePair, RatedResponse
from rewardkit.errors import DataError, RewardkitError
from rewardkit.models.protocols import Conversation
from rewardkit.train.tree import split_by_prompt

if TYPE_CHECKING:
    import numpy as np

RIDGE_ALPHAS = (0.1, 1.0, 10.0, 100.0, 1000.0)
BT_CS = (0.001, 0.01, 0.1, 1.0)


@dataclass
class AttributeData:
    """What the heads are fitted on: ratings by attribute, and labelled pairs by attribute."""

    ratings: dict[str, list[RatedResponse]] = field(default_factory=lambda: defaultdict(list))
    pairs: dict[str, list[PreferencePair]] = field(default_factory=lambda: defaultdict(list))
    pair_report: ReadReport = field(default_factory=ReadReport)
    rating_report: ReadReport = field(default_factory=lambda: ReadReport(unit="rated responses"))

    @property
    def attributes(self) -> list[str]:
        return sorted(set(self.ratings) | set(self.pairs))

    def counts(self) -> dict[str, dict[str, Any]]:
        return {a: {"kind": "ridge" if a in self.ratings else "bt",
                    "examples": len(self.ratings[a]) if a in self.ratings else len(self.pairs[a])} for a in self.attributes}


def read_attribute_data(paths: Sequence[str], *, invalid: str = "error", only: Sequence[str] | None = None) -> AttributeData:
    """Read ratings files and labelled pair files (each file's kind from its first row)."""
    data = AttributeData()
    for path in paths:
        if is_ratings_file(path):
            for r in read_ratings([path], invalid=invalid, report=data.rating_report):  # type: ignore[arg-type]
                for name in r.ratings:
                    data.ratings[name].append(r)
            continue
        for pair in read_pairs([path], invalid=invalid, report=data.pair_report):  # type: ignore[arg-type]
            try:
                names = pair_attributes(pair)
            except FieldError as e:
                if invalid == "error":
                    raise DataError(e.message, path=path, field=e.field) from None
                data.pair_report.skipped[e.code] += 1
                continue
            for name in names:
                data.pairs[name].append(pair)
    both = sorted(set(data.ratings) & set(data.pairs))
    if both:
        raise DataError(f"attribute {both[0]!r} has both ratings and pairwise labels; give the pairwise one another name "
                        "(one head per attribute: ridge for ratings, Bradley-Terry for pairs)", field="attribute")
    if only:
        unknown = [a for a in only if a not in data.attributes]
        if unknown:
            raise RewardkitError(f"--attribute {unknown[0]!r} is not in the data; it has {', '.join(data.attributes) or 'none'}")
        data.ratings = defaultdict(list, {a: v for a, v in data.ratings.items() if a in only})
        data.pairs = defaultdict(list, {a: v for a, v in data.pairs.items() if a in only})
    if not data.attributes:
        raise RewardkitError("no attribute data: the inputs hold no ratings and no labelled pairs")
    return data


def _prompt_key(prompt: list[Message]) -> str:
    return "\n".join(f"{m.role}: {m.content}" for m in prompt)


def _standardise(x: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    import numpy as np

    mean = x.mean(0)
    std = x.std(0)
    return mean, np.where(std > 1e-6, std, 1.0)


def fit_ridge_head(x: "np.ndarray", y: "np.ndarray", prompts: Sequence[str], *, alphas: Sequence[float] = RIDGE_ALPHAS,
                   dev: float = 0.2, seed: int = 0) -> tuple["np.ndarray", float, dict[str, Any]]:
    """A ridge head (weights, bias in the embeddings' own units) and its report."""
    import numpy as np
    from sklearn.linear_model import Ridge

    mean, std = _standardise(x)
    z = (x - mean) / std
    fit_idx, dev_idx = split_by_prompt(len(y), prompts, dev, seed)
    scores: dict[float, float] = {}
    if fit_idx and len(dev_idx) >= 3 and np.std(y[dev_idx]) > 0:
        for a in alphas:
            pred = Ridge(alpha=a).fit(z[fit_idx], y[fit_idx]).predict(z[dev_idx])
            scores[a] = float(np.corrcoef(pred, y[dev_idx])[0, 1]) if np.std(pred) > 0 else 0.0
    alpha = max(scores, key=lambda a: scores[a]) if scores else float(np.median(alphas))
    model = Ridge(alpha=alpha).fit(z, y)
    w = model.coef_ / std
    b = float(model.intercept_ - (model.coef_ * mean / std).sum())
    report = {"examples": len(y), "alpha": alpha, "dev_examples": len(dev_idx), "dev_pearson": scores.get(alpha),
              "dev_pearson_by_alpha": {str(k): round(v, 4) for k, v in scores.items()}}
    return w, b, report


def fit_bt_head(x_chosen: "np.ndarray", x_rejected: "np.ndarray", prompts: Sequence[str], *, cs: Sequence[float] = BT_CS,
                dev: float = 0.2, seed: int = 0) -> tuple["np.ndarray", dict[str, Any]]:
    """A Bradley-Terry linear head (weights; bias 0) and its report."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    _, std = _standardise(np.concatenate([x_chosen, x_rejected]))
    d = (x_chosen - x_rejected) / std
    fit_idx, dev_idx = split_by_prompt(len(d), prompts, dev, seed)

    def fit(idx: Sequence[int], c: float) -> "np.ndarray":
        both = np.concatenate([d[idx], -d[idx]])
        labels = np.concatenate([np.ones(len(idx)), np.zeros(len(idx))])
        return LogisticRegression(C=c, fit_intercept=False, max_iter=2000).fit(both, labels).coef_[0]

    scores: dict[float, float] = {}
    if fit_idx and dev_idx:
        for c in cs:
            scores[c] = float(((d[dev_idx] @ fit(fit_idx, c)) > 0).mean())
    c = max(scores, key=lambda k: scores[k]) if scores else float(np.median(cs))
    w = fit(range(len(d)), c) / std  # type: ignore[arg-type]
    report = {"examples": len(d), "C": c, "dev_examples": len(dev_idx), "dev_accuracy": scores.get(c),
              "dev_accuracy_by_C": {str(k): round(v, 4) for k, v in scores.items()}}
    return w, report


def fit_heads(data: AttributeData, embed: Callable[[list[Conversation]], "np.ndarray"], *, dev: float = 0.2, seed: int = 0,
              progress: Callable[[str], None] | None = None) -> tuple["Any", dict[str, Any]]:
    """Embed every distinct conversation once (`embed`), then fit one head per attribute."""
    import numpy as np
    import torch

    from rewardkit.models.attributes.heads import AttributeHeads, Head

    conversations: list[Conversation] = []
    index: dict[tuple[str, str], int] = {}

    def slot(prompt: list[Message], response: str) -> int:
        key = (_prompt_key(prompt), response)
        if key not in index:
            index[key] = len(conversations)
            conversations.append((prompt, response))
        return index[key]

    plan: list[tuple[str, Any]] = []
    for name in data.attributes:
        if name in data.ratings:
            rows = data.ratings[name]
            plan.append((name, ([slot(r.prompt, r.response) for r in rows], [r.ratings[name] for r in rows],
                                [_prompt_key(r.prompt) for r in rows])))
        else:
            pairs = data.pairs[name]
            plan.append((name, ([slot(p.prompt, p.chosen) for p in pairs], [slot(p.prompt, p.rejected) for p in pairs],
                                [_prompt_key(p.prompt) for p in pairs])))
    started = time.perf_counter()
    emb = np.asarray(embed(conversations), dtype=np.float64)
    embed_seconds = time.perf_counter() - started
    started = time.perf_counter()
    heads, weights, biases = [], [], []
    for name, (a, b, prompts) in plan:
        if progress:
            progress(name)
        if name in data.ratings:
            w, bias, report = fit_ridge_head(emb[a], np.asarray(b, dtype=np.float64), prompts, dev=dev, seed=seed)
            heads.append(Head(name, "ridge", report))
        else:
            w, report = fit_bt_head(emb[a], emb[b], prompts, dev=dev, seed=seed)
            bias = 0.0
            heads.append(Head(name, "bt", report))
        weights.append(w)
        biases.append(bias)
    fitted = AttributeHeads(heads, torch.tensor(np.stack(weights), dtype=torch.float32), torch.tensor(biases, dtype=torch.float32))
    timing = {"texts": len(conversations), "embed_seconds": round(embed_seconds, 2), "fit_seconds": round(time.perf_counter() - started, 2)}
    return fitted, timing


def train_attributes(backbone: str, data: AttributeData, out: Any, *, pooling: str = "auto", max_length: int | None = None,
                     batch_size: int = 32, cache: Any = None, dev: float = 0.2, seed: int = 0, show_progress: bool = True,
                     **load_options: Any) -> dict[str, Any]:
    """Embed `data` with the frozen `backbone`, fit the heads and save the attribute folder to
    `out` (cache: ``OUT/embeddings.sqlite`` unless a path is given); returns the summary."""
    from pathlib import Path

    from rewardkit.console import progress_for
    from rewardkit.models.attributes.embeddings import EmbeddingCache, embed_conversations, model_fingerprint
    from rewardkit.models.attributes.model import CACHE_FILE, AttributeModel, load_backbone

    out = Path(out)
    scorer = load_backbone(backbone, max_length=max_length, batch_size=batch_size, **load_options)
    store = EmbeddingCache(cache or out / CACHE_FILE)
    fingerprint = model_fingerprint(scorer, pooling)
    stats: dict[str, int] = {}

    def embed(conversations: list[Conversation]) -> Any:
        with progress_for("embedding", total=len(conversations), enabled=show_progress) as advance:
            return embed_conversations(scorer, conversations, pooling=pooling, cache=store, fingerprint=fingerprint,
                                       on_batch=advance, stats=stats).numpy()

    heads, timing = fit_heads(data, embed, dev=dev, seed=seed)
    model = AttributeModel(scorer, heads, backbone=backbone, pooling=pooling, cache=store)
    model.save(out)
    store.close()
    return {"backbone": backbone, "pooling": pooling, "attributes": data.counts(), "embedding": stats,
            **timing, "truncated": scorer.truncated, "heads": {h.name: {"kind": h.kind, **h.report} for h in heads.heads}}
