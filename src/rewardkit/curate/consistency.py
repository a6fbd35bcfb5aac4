"""RM-consistency filtering (Skywork-Reward): keep pairs a reward model agrees with.

Pairs in scope (`sources`, default all) are scored by any `RewardScorer`; a pair is kept when
``RM(chosen) - RM(rejected) > margin``, and the difference is written to ``scores[record_as]``.
The scorer is `model` (a folder, hub id or registry name, through `load_scorer`), or one trained
on the spot with `train` (settings of `rewardkit train rm`) on the pairs *outside* the scope, as
the paper trains its RM on the other sources before filtering WildGuardMix. Out-of-scope pairs
pass through untouched. Scoring is batched in chunks of `chunk` pairs, so memory stays bounded
(except with `train`, which spills the stream to a temporary file to read it twice).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardkit.curate.base import Spill, in_scope
from rewardkit.curate.report import StepReport
from rewardkit.data.schema import PreferencePair
from rewardkit.errors import RewardkitError
from rewardkit.models.protocols import RewardScorer, pair_conversations, pair_rewards


@dataclass
class ConsistencyStep:
    model: str | None = None
    train: dict[str, Any] | None = None
    sources: list[str] | None = None
    margin: float = 0.0
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

    def _load(self, model: str) -> RewardScorer:
        from rewardkit.models.registry import load_scorer

        return load_scorer(model, batch_size=self.batch_size, max_length=self.max_length, bf16=self.bf16)

    def apply(self, pairs: Iterable[PreferencePair], report: StepReport) -> Iterator[PreferencePair]:
        details: dict[str, Any] = {"margin": self.margin, "scored": 0, "kept": 0}
        report.details = details
        if self.train is not None:
            spill = Spill()
            training: list[PreferencePair] = []
            limit = int(self.train.get("max_pairs", 0)) or None
            rng = random.Random(int(self.train.get("seed", 0)))
            seen_out = 0
            for pair in pairs:
                spill.add(pair)
                if not in_scope(pair, self.sources):
                    seen_out += 1  # reservoir sample of the other sources, for training
                    if limit is None or len(training) < limit:
                        training.append(pair)
                    elif (j := rng.randrange(seen_out)) < limit:
                        training[j] = pair
            scorer = self._train(training, details)
            pairs = spill.replay()
        else:
            scorer = self.scorer or self._load(self.model)  # type: ignore[arg-type]
            details["model"] = self.model or getattr(scorer, "name", type(scorer).__name__)
        chunk: list[PreferencePair] = []
        for pair in pairs:
            report.saw(pair.source)
            if not in_scope(pair, self.sources):
                if chunk:
                    yield from self._filter(chunk, scorer, report, details)
                    chunk = []
                report.kept(pair.source)
                yield pair
                continue
            chunk.append(pair)
            if len(chunk) >= self.chunk:
                yield from self._filter(chunk, scorer, report, details)
                chunk = []
        if chunk:
            yield from self._filter(chunk, scorer, report, details)

    def _filter(self, chunk: list[PreferencePair], scorer: RewardScorer, report: StepReport, details: dict[str, Any]) -> Iterator[PreferencePair]:
        rewards = scorer.score(pair_conversations(chunk))
        for pair, (c, r) in zip(chunk, pair_rewards(rewards)):
            diff = float(c) - float(r)
            pair.scores[self.record_as] = diff
            details["scored"] += 1
            if diff > self.margin:
                details["kept"] += 1
                report.kept(pair.source)
                yield pair
            else:
                report.remove("rm-disagrees" if diff < 0 else "rm-margin-too-small", pair.source)

    def _train(self, training: list[PreferencePair], details: dict[str, Any]) -> RewardScorer:
        from rewardkit.data.io import write_pairs
        from rewardkit.train.config import RMTrainConfig
        from rewardkit.train.rm import train_reward_model

        if not training:
            raise RewardkitError("consistency: 'train' needs pairs outside 'sources' to train on, and there are none")
        work = Path(self.workdir or "curate-work") / "consistency-rm"
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
        details["trained"] = {"pairs": len(training), "out": str(work / "model"), "steps": summary.get("steps"),
                              "train_seconds": summary.get("train_seconds"), "config": cfg.to_dict()}
        details["model"] = str(work / "model")
        return self._load(str(work / "model"))
