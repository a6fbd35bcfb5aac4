"""`evaluate`: run a scorer or judge over benchmark files and build the RewardBench-style result.

    pairs, provenance, report = read_benchmark(["../shared/data/eval/rb-open.jsonl"])
    evaluation = evaluate(load_scorer("runs/rm"), pairs)

Any `RewardScorer` (trained folders, hub reward models, embedded backbones, the length / random
baselines) or `PairwiseJudge` works: evaluation only sees the protocols.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from rewardkit.data.io import ReadReport, read_pairs
from rewardkit.data.schema import PreferencePair
from rewardkit.evaluate.benchmarks import benchmark_for
from rewardkit.evaluate.metrics import (
    Outcome,
    accuracy_by_length,
    bootstrap_intervals,
    calibration,
    length_bias,
    pair_outcome,
    section_scores,
    sigmoid,
    subset_accuracy,
)
from rewardkit.manifest import describe_input
from rewardkit.models.distributed import score_sharded
from rewardkit.models.protocols import PairwiseJudge, RewardScorer, pair_conversations, pair_rewards

VERDICT_SCORE = {"first": 1.0, "second": 0.0, "tie": 0.5, "unparsed": 0.5}


@dataclass
class Evaluation:
    """Everything one model's evaluation produced: the result dict and the per-row scores."""

    result: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


def _score_rows(model: RewardScorer | PairwiseJudge, pairs: Sequence[PreferencePair], on_progress: Callable[[int], None] | None):
    """Per-pair outcomes and rows, from a scalar scorer or from a judge."""
    outcomes, rows = [], []
    if hasattr(model, "score"):
        convs = pair_conversations(pairs)
        rewards = score_sharded(model, convs, on_progress)  # one process, or all of a torchrun launch
        logit_margins = getattr(model, "margin_is_logit", False)
        for p, (c, r) in zip(pairs, pair_rewards(rewards)):
            margin = c - r
            outcomes.append(Outcome(p.id, p.subset or "", pair_outcome(c, r), sigmoid(margin) if logit_margins else None,
                                    margin, len(p.chosen), len(p.rejected)))
            rows.append({"id": p.id, "subset": p.subset, "chosen_reward": c, "rejected_reward": r, "correct": pair_outcome(c, r)})
        return outcomes, rows
    triples = [(p.prompt, p.chosen, p.rejected) for p in pairs]
    if on_progress is not None and "on_progress" in inspect.signature(model.judge).parameters:
        verdicts = model.judge(triples, on_progress=on_progress)  # type: ignore[call-arg]
    else:
        verdicts = model.judge(triples)
    for p, v in zip(pairs, verdicts):
        correct = VERDICT_SCORE[v.winner]
        outcomes.append(Outcome(p.id, p.subset or "", correct, v.prob_first, None, len(p.chosen), len(p.rejected)))
        row = {"id": p.id, "subset": p.subset, "winner": v.winner, "prob_chosen": v.prob_first, "correct": correct, "raw": v.raw}
        if v.orders is not None:
            row["orders"] = [{"winner": o.winner, "prob_chosen": o.prob_first} for o in v.orders]
        rows.append(row)
    return outcomes, rows


def summarize(name: str, outcomes: Sequence[Outcome], *, bootstrap: int = 1000, seed: int = 0) -> dict[str, Any]:
    """The result dict of one model (RewardBench sections, prior sets, diagnostics)."""
    subsets = subset_accuracy(outcomes)
    bench = benchmark_for(set(subsets))
    scores = section_scores(subsets, bench)
    return {
        "model": name,
        "benchmark": bench.name if bench else None,
        "subsets": subsets,
        "sections": scores.sections,
        "prior_sets": scores.prior_sets,
        "score": scores.score,
        "weighting": scores.weighting,
        "unknown_subsets": scores.unknown_subsets,
        "confidence_intervals": bootstrap_intervals(outcomes, bench, rounds=bootstrap, seed=seed) if bootstrap else {},
        "length_bias": length_bias(outcomes),
        "accuracy_by_length": accuracy_by_length(outcomes),
        "calibration": calibration(outcomes),
        "pairs": len(outcomes),
        "accuracy": sum(o.correct for o in outcomes) / max(len(outcomes), 1),
    }


def read_benchmark(data: Sequence[str], *, invalid: str = "error",
                   limit: int | None = None) -> tuple[list[PreferencePair], dict[str, Any], ReadReport]:
    """The pairs of the benchmark files (the first `limit`, if given), their provenance for
    results.json (each file with its SHA-256 and the pairs read from it, what the reader
    skipped), and the read report."""
    report = ReadReport()
    pairs = list(islice(read_pairs(list(data), invalid=invalid, report=report), limit))
    rows_per_file = {f.path: f.pairs for f in report.files}
    provenance = {"data": [{**describe_input(p), "rows": rows_per_file.get(p)} for p in data], "read": report.to_dict()}
    if limit is not None:
        provenance["limit"] = limit
    return pairs, provenance, report


def position_stats_from_rows(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Position consistency of a judge asked in both orders (rows carry both verdicts, original order)."""
    from rewardkit.models.judges.judge import position_stats
    from rewardkit.models.protocols import Verdict

    verdicts = [Verdict(r["winner"], r["prob_chosen"], orders=tuple(Verdict(o["winner"], o["prob_chosen"]) for o in r["orders"]))
                for r in rows if "orders" in r]
    return position_stats(verdicts) or {}


def evaluate(
    model: RewardScorer | PairwiseJudge,
    pairs: Sequence[PreferencePair],
    *,
    bootstrap: int = 1000,
    on_progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """Evaluate one model on benchmark pairs (see `read_benchmark`)."""
    started = time.perf_counter()
    outcomes, rows = _score_rows(model, pairs, on_progress)
    result = summarize(model.name, outcomes, bootstrap=bootstrap)
    result["seconds"] = time.perf_counter() - started
    if rows and "orders" in rows[0]:
        result["position"] = position_stats_from_rows(rows)
    return Evaluation(result, rows, list(outcomes))
