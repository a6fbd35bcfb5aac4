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

The recipe's dev split holds almost no pairs of LLMBar's adversarial kind (rb-open's Chat Hard),
so with ``--neighbors`` (`bench/neighbor_dev.py`'s development neighbour pairs: development
prompts' chosen answers against untrained answers to a similar instruction) those are scored too
and tabulated apart. The choice rule, fixed before the run: the mode and weight with the highest
3/4 x the sample's balanced accuracy + 1/4 x the neighbour pairs' accuracy (the neighbour pairs
stand for one kind of pair, as Chat Hard is one of rb-open's four sections). An earlier rule
weighed the two equally and picked PMI at the grid's edge, whose rb-open Safety fell from 75.8
to 50.0 with a dev balanced accuracy 5.6 points below the model alone's.

With ``--gate DIR`` (a prompt gate, `rewardkit train gate`; repeatable) every mode is also
tabulated gated (``gated:DIR:MODE:LM``: the mode's reward times 1 - the gate's probability that
the prompt is a request to refuse), and the choice is among both.

    python bench/lm_weight.py --rm runs/quality/rm-quality [--lm smollm2] [--per-source 90] [--neighbors FILE] [--gate DIR]

The reward model's and the LM's rewards of the sample are cached under runs/ (keyed by the
conversations, the model and the LM), so that another gate costs no LM pass.

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
from rewardkit.models.gate import PromptGate  # noqa: E402
from rewardkit.models.likelihood import LikelihoodScorer  # noqa: E402
from rewardkit.models.protocols import pair_conversations  # noqa: E402
from rewardkit.models.registry import load_scorer  # noqa: E402

WEIGHTS = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0)
CACHE = Path("runs/lm_weight_cache")


def _acc(rewards: list[float], pairs: list, n_sample: int) -> dict[str, float]:
    """Accuracies on the sample (the first `n_sample` pairs) and on the neighbour pairs after it;
    `rewards` are the chosen conversations', then the rejected ones' (`pair_conversations`)."""
    k = len(pairs)
    chosen, rejected = rewards[:k], rewards[k:]
    a = pair_accuracies(chosen[:n_sample] + rejected[:n_sample], pairs[:n_sample])
    out = {key: a[key] for key in ("all", "balanced", "labelled", "source:hh-rlhf", "source:synth") if key in a}
    if k > n_sample:
        out["neighbors"] = sum(c > r for c, r in zip(chosen[n_sample:], rejected[n_sample:])) / (k - n_sample)
        out["choice"] = 0.75 * out["balanced"] + 0.25 * out["neighbors"]
    return out


def _cached(convs: list, rm: str, lm: str) -> tuple[list[float], dict[str, list[float]]]:
    """The reward model's rewards and the LM's four modes for `convs`, from the cache when the
    same conversations, model and LM were scored before."""
    import hashlib
    import json

    key = hashlib.sha256(json.dumps([rm, lm, [[[m.role, m.content] for m in p] + [r] for p, r in convs]]).encode()).hexdigest()[:16]
    path = CACHE / f"{key}.json"
    if path.is_file():
        data = json.loads(path.read_text())
        return data["rm"], data["modes"]
    rewards = load_scorer(rm).score(convs)
    modes = LikelihoodScorer.load(f"loglik:{lm}").modes(convs)  # all four from two passes
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"model": rm, "lm": lm, "rm": rewards, "modes": modes}))
    return rewards, modes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rm", required=True, help="the trained reward model (a folder)")
    ap.add_argument("--lm", default="smollm2", help="the causal LM (default: %(default)s)")
    ap.add_argument("--dev", nargs="*", default=["runs/quality/split/dev.jsonl"], help="development files (default: %(default)s)")
    ap.add_argument("--per-source", type=int, default=90, help="dev pairs sampled per source (default: %(default)s)")
    ap.add_argument("--neighbors", default=None, help="development neighbour pairs (bench/neighbor_dev.py), scored apart")
    ap.add_argument("--gate", action="append", default=[], help="a prompt gate folder: every mode is also tabulated gated by it")
    args = ap.parse_args()
    require_shared()
    by_source: dict[str, list] = {}
    for p in load_pairs(args.dev):
        by_source.setdefault(p.source, []).append(p)
    rng = random.Random(0)
    sample = [p for s in sorted(by_source) for p in rng.sample(by_source[s], min(args.per_source, len(by_source[s])))]
    neighbors = load_pairs([args.neighbors]) if args.neighbors else []
    n = len(sample)
    sample = sample + neighbors  # the neighbour pairs after the sample: _acc scores them apart
    convs = pair_conversations(sample)
    rm, modes = _cached(convs, args.rm, args.lm)
    for gate_dir in args.gate:
        keep = [1.0 - p for p in PromptGate.load(gate_dir).probability([prompt for prompt, _ in convs])]
        modes.update({f"gated:{gate_dir}:{m}": [k * v for k, v in zip(keep, values)] for m, values in list(modes.items())
                      if not m.startswith("gated:")})
    result = {"rm": args.rm, "lm": args.lm, "dev": args.dev, "gates": args.gate, "rule": "0.75 balanced + 0.25 neighbors", "sample": {s: min(args.per_source, len(v)) for s, v in sorted(by_source.items())},
              "neighbors": {"file": args.neighbors, "pairs": len(neighbors)}, "rm_alone": _acc(rm, sample, n), "modes": {}}
    key = "choice" if neighbors else "balanced"
    print(f"reward model alone: {_fmt(result['rm_alone'])}")
    for mode, values in modes.items():
        spread = statistics.pstdev(values) or 1.0
        row = {"std": spread, "alone": _acc(values, sample, n), "weights": {}}
        for w in WEIGHTS:  # the ensemble spec's weight for this member is w / std
            row["weights"][str(w)] = {"spec_weight": w / spread,
                                      **_acc([a + w * b / spread for a, b in zip(rm, values)], sample, n)}
        result["modes"][mode] = row
        best = max(row["weights"].items(), key=lambda kv: kv[1][key])
        print(f"{mode:24s} alone {_fmt(row['alone'])}; best w={best[0]} (@{best[1]['spec_weight']:.3g}) {_fmt(best[1])}")
    chosen = max(((m, w, r) for m, row in result["modes"].items() for w, r in row["weights"].items()), key=lambda t: t[2][key])
    if chosen[2][key] > result["rm_alone"][key]:
        result["chosen"] = {"mode": chosen[0], "w": chosen[1], "spec": f"{chosen[0]}:{args.lm}@{chosen[2]['spec_weight']:.3g}", **chosen[2]}
        print(f"-> the ensemble spec: ensemble:{args.rm},{result['chosen']['spec']}")
    else:
        result["chosen"] = None
    print(f"chosen by {key}: {result['chosen']}")
    print(f"-> {write_result('lm_weight', result)}")


def _fmt(acc: dict[str, float]) -> str:
    return ", ".join(f"{k} {100 * v:.1f}" for k, v in acc.items() if k != "spec_weight")


if __name__ == "__main__":
    main()
