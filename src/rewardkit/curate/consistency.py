"""RM-consistency filtering (Skywork-Reward): keep pairs a reward model agrees with.

Pairs in scope (`sources`, default all) are scored by any `RewardScorer`, and the difference
``RM(chosen) - RM(rejected)`` is written to ``scores[record_as]``. The scorer is `model` (a folder,
hub id or registry name, through `load_scorer`), or trained on the spot with `train` (settings of
`rewardkit train rm`):

- ``folds: 1`` (default): one RM trained on the pairs *outside* the scope, as the paper trains its
  RM on the other sources before filtering WildGuardMix;
- ``folds: K``: cross-fitting. The in-scope pairs are cut into K parts by prompt, and each part is
  scored by an RM trained on everything else (the other parts and the out-of-scope pairs), so no
  pair is judged by a model that saw its prompt. This is what filtering a source by its own label
  noise needs: a model trained on a pair tends to agree with whatever label it was given.

What is kept: pairs with a difference above `margin` (default 0: the RM agrees), or, with
`drop_fraction`, all but that fraction of each scoring model's pairs with the lowest difference
(reward scales differ between models, so the cut is taken per model). Pairs the `neighbors` step
built (``meta.neighbor_of``) are never filtered: their label holds by construction, and a model
that disagrees with one has met the case it was built to teach. Out-of-scope pairs pass through
untouched.

Scoring is batched in chunks of `chunk` pairs. Without `train`, folds and `drop_fraction` the
step streams; otherwise the stream is spilled to a temporary file and read back, and memory holds
the training samples (`max_pairs` per model) and one float per scored pair.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardkit.curate.base import Spill, in_scope
from rewardkit.curate.report import StepReport
from rewardkit.curate.text import prompt_key
from rewardkit.data.schema import PreferencePair
from rewardkit.errors import RewardkitError
from rewardkit.models.protocols import RewardScorer, pair_conversations, pair_rewards

BUILT_BY_NEIGHBORS = "neighbor_of"  # the meta key of a pair the neighbors step made


@dataclass
class ConsistencyStep:
    model: str | None = None
    train: dict[str, Any] | None = None
    sources: list[str] | None = None
    margin: float | None = None
    drop_fraction: float | None = None
    folds: int = 1
    record_as: str = "rm_margin"
    batch_size: int = 32
    max_length: int = 512
    bf16: bool | None = None
    chunk: int = 512
    name: str = field(default="consistency", init=False)
    scorer: RewardScorer | None = field(default=None, repr=False, metadata={"internal": True})
    workdir: str | None = field(default=None, repr=False, metadata={"internal": True})

    def __post_init__(self) -> None:
        given = sum(x is not None for x in (self.model, self.train, self.scorer))
        if given != 1:
            raise ValueError("consistency needs exactly one of model (a scorer spec) and train (settings to train one)")
        if self.folds < 1:
            raise ValueError(f"folds must be at least 1, got {self.folds}")
        if self.folds > 1 and self.train is None:
            raise ValueError("folds above 1 train one RM per fold, so they need train (not model)")
        if self.train is not None:  # the two settings this step reads itself (the rest go to train rm)
            for name in ("max_pairs", "seed"):
                value = self.train.get(name, 0)
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"train.{name} must be a whole number, 0 or more, got {value!r}")
        if self.drop_fraction is not None:
            if not 0.0 < self.drop_fraction < 1.0:
                raise ValueError(f"drop_fraction must be between 0 and 1, got {self.drop_fraction}")
            if self.margin is not None:
                raise ValueError("give margin or drop_fraction, not both")
        elif self.margin is None:
            self.margin = 0.0  # the RM agrees

    def filtered(self, pair: PreferencePair) -> bool:
        """Whether this step judges `pair`: in scope and not built by the neighbors step."""
        return in_scope(pair, self.sources) and BUILT_BY_NEIGHBORS not in pair.meta

    def apply(self, pairs: Iterable[PreferencePair], report: StepReport) -> Iterator[PreferencePair]:
        details: dict[str, Any] = {"scored": 0, "kept": 0}
        if self.drop_fraction is not None:
            details["drop_fraction"] = self.drop_fraction
        else:
            details["margin"] = self.margin
        report.details = details
        if self.train is None and self.drop_fraction is None:
            scorer = self.scorer or self._load(self.model)  # type: ignore[arg-type]
            details["model"] = self.model or getattr(scorer, "name", type(scorer).__name__)
            yield from self._stream(pairs, scorer, report, details)
        else:
            yield from self._spilled(pairs, report, details)

    # -- streaming: one given scorer, a margin --------------------------------------------------

    def _stream(self, pairs: Iterable[PreferencePair], scorer: RewardScorer, report: StepReport,
                details: dict[str, Any]) -> Iterator[PreferencePair]:
        cut = float(self.margin)  # type: ignore[arg-type]
        chunk: list[PreferencePair] = []
        for pair in pairs:
            report.saw(pair.source)
            if self.filtered(pair):
                chunk.append(pair)
                if len(chunk) < self.chunk:
                    continue
            details["scored"] += len(chunk)
            yield from self._decide(chunk, self._score(chunk, scorer), cut, report, details)
            chunk = []
            if not self.filtered(pair):
                report.kept(pair.source)
                yield pair
        details["scored"] += len(chunk)
        yield from self._decide(chunk, self._score(chunk, scorer), cut, report, details)

    def _decide(self, chunk: list[PreferencePair], diffs: list[float], cut: float, report: StepReport,
                details: dict[str, Any]) -> Iterator[PreferencePair]:
        for pair, diff in zip(chunk, diffs):
            if diff > cut:
                details["kept"] += 1
                report.kept(pair.source)
                yield pair
            else:
                report.remove("rm-disagrees" if diff < 0 else "rm-margin-too-small", pair.source)

    def _score(self, chunk: list[PreferencePair], scorer: RewardScorer) -> list[float]:
        if not chunk:
            return []
        rewards = scorer.score(pair_conversations(chunk))
        diffs = [float(c) - float(r) for c, r in pair_rewards(rewards)]
        for pair, diff in zip(chunk, diffs):
            pair.scores[self.record_as] = diff
        return diffs

    # -- spilled: trained scorers (one, or one per fold), or a fraction to drop ----------------

    def _fold(self, pair: PreferencePair, seed: int) -> int:
        if self.folds == 1:
            return 0
        digest = hashlib.blake2b(f"{seed}\x1d{prompt_key(pair)}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.folds

    def _spilled(self, pairs: Iterable[PreferencePair], report: StepReport, details: dict[str, Any]) -> Iterator[PreferencePair]:
        settings = self.train or {}
        limit = settings.get("max_pairs", 0) or None
        seed = settings.get("seed", 0)
        rng = random.Random(seed)
        spill = Spill()
        parts = [Spill() for _ in range(self.folds)]  # the pairs each model scores
        indices: list[list[int]] = [[] for _ in range(self.folds)]  # and where they are in the stream
        samples: list[list[PreferencePair]] = [[] for _ in range(self.folds)]  # what each model trains on
        seen = [0] * self.folds
        fold_of: dict[int, int] = {}
        for pair in pairs:
            report.saw(pair.source)
            index = spill.add(pair)
            fold = self._fold(pair, seed) if self.filtered(pair) else None
            if fold is not None:
                fold_of[index] = fold
                parts[fold].add(pair)
                indices[fold].append(index)
            if self.train is None:
                continue
            # a model trains on what it does not score: out of scope with one fold, other folds with several
            for f in range(self.folds):
                if (fold is None or self.folds > 1) and fold != f:
                    seen[f] += 1
                    if limit is None or len(samples[f]) < limit:
                        samples[f].append(pair)
                    elif (j := rng.randrange(seen[f])) < limit:
                        samples[f][j] = pair
        diffs: dict[int, float] = {}
        cuts: list[float] = []
        per_fold: list[dict[str, Any]] = []
        for f in range(self.folds):
            info: dict[str, Any] = {}
            if self.train is not None:
                scorer = self._train(samples[f], info, f if self.folds > 1 else None)
                samples[f] = []
            else:
                scorer = self.scorer or self._load(self.model)  # type: ignore[arg-type]
                details["model"] = self.model or getattr(scorer, "name", type(scorer).__name__)
            mine = self._score_part(parts[f], indices[f], scorer, diffs)
            cuts.append(self._cut(mine))
            info.update(scored=len(mine), cut=cuts[-1])
            per_fold.append(info)
            del scorer
        if self.folds > 1:
            details["folds"] = per_fold
        else:
            details.update({k: v for k, v in per_fold[0].items() if k in ("trained", "model")})
        details["scored"] = len(diffs)
        for index, pair in enumerate(spill.replay()):
            fold = fold_of.get(index)
            if fold is None:
                report.kept(pair.source)
                yield pair
                continue
            pair.scores[self.record_as] = diffs[index]
            yield from self._decide([pair], [diffs[index]], cuts[fold], report, details)

    def _score_part(self, part: Spill, indices: list[int], scorer: RewardScorer, diffs: dict[int, float]) -> list[float]:
        mine: list[float] = []
        chunk: list[PreferencePair] = []
        for pair in part.replay():
            chunk.append(pair)
            if len(chunk) >= self.chunk or len(mine) + len(chunk) == len(indices):
                mine.extend(self._score(chunk, scorer))
                chunk = []
        for index, diff in zip(indices, mine):
            diffs[index] = diff
        return mine

    def _cut(self, diffs: list[float]) -> float:
        """The difference a pair must exceed: the margin, or the value below which drop_fraction lies."""
        if self.drop_fraction is None:
            return float(self.margin)  # type: ignore[arg-type]
        drop = round(self.drop_fraction * len(diffs))
        if drop == 0:
            return float("-inf")
        return sorted(diffs)[drop - 1]  # ties at the cut go too: a few more than the fraction at most

    def _load(self, model: str) -> RewardScorer:
        from rewardkit.models.registry import load_scorer

        return load_scorer(model, batch_size=self.batch_size, max_length=self.max_length, bf16=self.bf16)

    def _train(self, training: list[PreferencePair], info: dict[str, Any], fold: int | None) -> RewardScorer:
        from rewardkit.data.io import write_pairs
        from rewardkit.train.config import RMTrainConfig
        from rewardkit.train.rm import train_reward_model

        if not training:
            what = "pairs outside 'sources'" if fold is None else f"pairs outside fold {fold}"
            raise RewardkitError(f"consistency: 'train' needs {what} to train on, and there are none")
        work = Path(self.workdir or "curate-work") / ("consistency-rm" if fold is None else f"consistency-rm-fold{fold}")
        data = work / "train.jsonl"
        write_pairs(training, str(data))
        settings = {k: v for k, v in self.train.items() if k not in ("max_pairs", "seed")}  # type: ignore[union-attr]
        settings.setdefault("model", "minilm")
        settings.setdefault("max_length", self.max_length)
        try:
            cfg = RMTrainConfig(**{**settings, "data": [str(data)], "out": str(work / "model"), "overwrite": True})
        except TypeError as e:
            raise RewardkitError(f"consistency.train: {e}") from None
        summary = train_reward_model(cfg)
        info["trained"] = {"pairs": len(training), "out": str(work / "model"), "steps": summary.get("steps"),
                           "train_seconds": summary.get("train_seconds"), "config": cfg.to_dict()}
        info["model"] = str(work / "model")
        return self._load(str(work / "model"))
