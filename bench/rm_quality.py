"""Quality benchmark: MiniLM trained for a few hundred steps on pairs sampled evenly from the
four shared training files (pairs whose prompt is a rb-open prompt excluded), then

1. held-out accuracy on a slice sampled the same way (whole prompts held out), next to the
   "longer answer wins" baseline, per source;
2. the RewardBench-style row on rb-open.jsonl next to the length, shortest and random baselines
   (`rewardkit eval`), saved as bench/results/rm_quality_leaderboard.md.

    python bench/rm_quality.py [--per-file 600] [--held-out 150] [--steps 300] [--lr 5e-5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RB_OPEN, RESULTS, require_shared, sample_evenly, write_result  # noqa: E402

from rewardkit.evaluate.runner import EvalOptions, run_evaluation  # noqa: E402
from rewardkit.data.io import write_pairs  # noqa: E402
from rewardkit.evaluate.report import leaderboard  # noqa: E402
from rewardkit.models.baselines import LengthScorer  # noqa: E402
from rewardkit.models.classifier import ClassifierScorer  # noqa: E402
from rewardkit.models.protocols import pair_conversations, pair_rewards  # noqa: E402
from rewardkit.train.config import RMTrainConfig  # noqa: E402
from rewardkit.train.rm import train_reward_model  # noqa: E402


def accuracy_by_source(pairs, scorer) -> dict[str, float]:
    rewards = scorer.score(pair_conversations(pairs))
    hits = defaultdict(list)
    for p, (c, r) in zip(pairs, pair_rewards(rewards)):
        hits[p.source].append(c > r)
        hits["all"].append(c > r)
    return {k: sum(v) / len(v) for k, v in sorted(hits.items())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-file", type=int, default=600, help="training pairs sampled from each shared training file (default: %(default)s)")
    ap.add_argument("--held-out", type=int, default=150, help="pairs per file held out (by prompt) for the development slice (default: %(default)s)")
    ap.add_argument("--steps", type=int, default=300, help="training steps (default: %(default)s)")
    ap.add_argument("--lr", type=float, default=5e-5, help="learning rate (default: %(default)s)")
    ap.add_argument("--length-buckets", type=int, default=1, help="forward calls per step, bucketed by length (default: %(default)s)")
    ap.add_argument("--out", default="runs/bench-rm-quality", help="working folder (model, evaluation) (default: %(default)s)")
    args = ap.parse_args()
    require_shared()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    train, held, info = sample_evenly(args.per_file, args.held_out)
    out = Path(args.out)
    write_pairs(train, str(out / "data" / "train.jsonl"))
    write_pairs(held, str(out / "data" / "held_out.jsonl"))
    cfg = RMTrainConfig(model="minilm", data=[str(out / "data" / "train.jsonl")], eval_data=[str(out / "data" / "held_out.jsonl")],
                        out=str(out / "model"), max_steps=args.steps, batch_size=16, learning_rate=args.lr, max_length=512,
                        logging_steps=20, save_steps=100, overwrite=True, length_buckets=args.length_buckets)
    started = time.perf_counter()
    summary = train_reward_model(cfg)
    scorer = ClassifierScorer.load(str(out / "model"), bf16=True)
    model_held = accuracy_by_source(held, scorer)
    length_held = accuracy_by_source(held, LengthScorer())
    done = run_evaluation(str(out / "model"), [str(RB_OPEN)], out / "eval",
                          EvalOptions(baselines=True, batch_size=32, bf16=True, max_length=512, bootstrap=1000))
    board = Path(done["paths"]["leaderboard"]).read_text()
    (RESULTS / "rm_quality_leaderboard.md").write_text(board)
    result = {
        "config": cfg.to_dict(), "sampling": info, "train_seconds": summary["train_seconds"], "steps": summary["steps"],
        "held_out": {"model": model_held, "length": length_held},
        "rb_open_pair_accuracy": {r["model"]: r["accuracy"] for r in done["results"]},
        "rb_open": {r["model"]: {k: r[k] for k in ("score", "sections", "prior_sets", "weighting")} for r in done["results"]},
        "wall_seconds": time.perf_counter() - started,
    }
    path = write_result("rm_quality", result)
    print(f"{'held-out slice':<16}{'model':>8}{'length':>8}")
    for k in model_held:
        print(f"{k[:16]:<16}{100 * model_held[k]:>8.1f}{100 * length_held[k]:>8.1f}")
    print()
    print(leaderboard(done["results"]))
    print(f"-> {path}, {RESULTS / 'rm_quality_leaderboard.md'}")


if __name__ == "__main__":
    main()
