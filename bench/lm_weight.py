"""Choose a language model's likelihood reward as an ensemble member, on the development split
(issue 13): which of `rewardkit.models.likelihood`'s four modes, and at what weight, beside a
trained reward model.

A causal LM scores every sampled dev conversation twice (after its prompt and after an empty user
turn), which gives all four modes (``loglik``, ``loglik-mean``, ``pmi``, ``pmi-mean``) from one
pass each; the reward model scores them once. Each mode is then added to the reward model's
standardized rewards at weights w / std(mode's rewards on the sample), and the dev accuracy
(all, balanced over chosen-longer and chosen-shorter pairs, and without the synthetic pairs) is
tabulated. rb-open is not read: the chosen spec then gets its row with
``bench/rm_recipe.py --model ensemble:RM,MODE:LM@W``.

    python bench/lm_weight.py --rm runs/quality/rm-quality [--lm smollm2] [--per-source 90]

The sample is stratified by source (up to --per-source pairs of each, seed 0), because the
labelled sources are small beside AlpacaEval's; the LM's cost is what keeps it a sample (SmolLM2
reads ~1,200 tokens/s on the 2-core CPU).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import require_shared, write_result  # noqa: E402
from rm_recipe import pair_accuracies  # noqa: E402

from rewardkit.data.io import load_pairs  # noqa: E402
from rewardkit.models.likelihood import EMPTY_PROMPT, LikelihoodScorer  # noqa: E402
from rewardkit.models.protocols import pair_conversations  # noqa: E402
from rewardkit.models.registry import load_scorer  # noqa: E402

WEIGHTS = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0)


def _acc(rewards: list[float], pairs: list) -> dict[str, float]:
    a = pair_accuracies(rewards, pairs)
    return {k: a[k] for k in ("all", "balanced", "labelled")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rm", required=True, help="the trained reward model (a folder)")
    ap.add_argument("--lm", default="smollm2", help="the causal LM (default: %(default)s)")
    ap.add_argument("--dev", nargs="*", default=["runs/quality/split/dev.jsonl"], help="development files (default: %(default)s)")
    ap.add_argument("--per-source", type=int, default=90, help="dev pairs sampled per source (default: %(default)s)")
    args = ap.parse_args()
    require_shared()
    by_source: dict[str, list] = {}
    for p in load_pairs(args.dev):
        by_source.setdefault(p.source, []).append(p)
    rng = random.Random(0)
    sample = [p for s in sorted(by_source) for p in rng.sample(by_source[s], min(args.per_source, len(by_source[s])))]
    convs = pair_conversations(sample)
    rm = load_scorer(args.rm).score(convs)
    lm = LikelihoodScorer.load(f"loglik:{args.lm}")
    encoded = lm.formatter.encode_batch(convs) + lm.formatter.encode_batch([(EMPTY_PROMPT, r) for _, r in convs])
    sums, counts = lm.response_logprobs(encoded)
    k = len(convs)
    modes = {"loglik": sums[:k], "loglik-mean": [s / c for s, c in zip(sums[:k], counts[:k])],
             "pmi": [a - b for a, b in zip(sums[:k], sums[k:])],
             "pmi-mean": [(a - b) / c for a, b, c in zip(sums[:k], sums[k:], counts[:k])]}
    result = {"rm": args.rm, "lm": args.lm, "dev": args.dev, "sample": {s: min(args.per_source, len(v)) for s, v in sorted(by_source.items())},
              "rm_alone": _acc(rm, sample), "modes": {}}
    print(f"reward model alone: {result['rm_alone']}")
    for mode, values in modes.items():
        spread = statistics.pstdev(values) or 1.0
        row = {"std": spread, "alone": _acc(values, sample), "weights": {}}
        for w in WEIGHTS:  # the ensemble spec's weight for this member is w / std
            row["weights"][str(w)] = {"spec_weight": w / spread,
                                      **_acc([a + w * b / spread for a, b in zip(rm, values)], sample)}
        result["modes"][mode] = row
        best = max(row["weights"].items(), key=lambda kv: kv[1]["balanced"])
        print(f"{mode:12s} alone balanced {100 * row['alone']['balanced']:.1f}; best w={best[0]} "
              f"(@{best[1]['spec_weight']:.3g}) balanced {100 * best[1]['balanced']:.1f}, labelled {100 * best[1]['labelled']:.1f}")
    print(f"-> {write_result('lm_weight', result)}")


if __name__ == "__main__":
    main()
