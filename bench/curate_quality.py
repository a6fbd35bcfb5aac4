"""Does curation help? MiniLM trained on N curated pairs vs N uncurated pairs, same settings,
both evaluated on rb-open (RewardBench-style row), in one run.

The curated pairs come from the recipe's output (``rewardkit curate
configs/curate-skywork-style.yaml --out runs/curated``); the uncurated ones are a uniform sample
of the raw pool's valid pairs (contaminated and length-biased, as a user would start).

    python bench/curate_quality.py [--curated runs/curated/curated.jsonl] [--pairs 2400] [--steps 150]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RB_OPEN, RESULTS, TRAIN_FILES, require_shared, write_result  # noqa: E402

from rewardkit.evaluate.runner import EvalOptions, run_evaluation  # noqa: E402
from rewardkit.data.io import load_pairs, read_pairs, write_pairs  # noqa: E402
from rewardkit.evaluate.report import leaderboard  # noqa: E402
from rewardkit.train.config import RMTrainConfig  # noqa: E402
from rewardkit.train.rm import train_reward_model  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--curated", default="runs/curated/curated.jsonl", help="curated pairs (the output of `rewardkit curate configs/curate-skywork-style.yaml`) (default: %(default)s)")
    ap.add_argument("--pairs", type=int, default=2400, help="pairs sampled from each arm (curated and uncurated) (default: %(default)s)")
    ap.add_argument("--steps", type=int, default=150, help="training steps per arm (default: %(default)s)")
    ap.add_argument("--lr", type=float, default=1e-4, help="learning rate (default: %(default)s)")
    ap.add_argument("--out", default="runs/bench-curate-quality", help="working folder for the two models and their evaluations (default: %(default)s)")
    args = ap.parse_args()
    require_shared()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    rng = random.Random(0)
    curated = load_pairs(args.curated)
    raw = list(read_pairs([str(p) for p in TRAIN_FILES], invalid="skip"))
    n = min(args.pairs, len(curated))
    sets = {"curated": rng.sample(curated, n), "uncurated": rng.sample(raw, n)}
    out = Path(args.out)
    results, info = [], {}
    started = time.perf_counter()
    for name, pairs in sets.items():
        data = out / name / "train.jsonl"
        write_pairs(pairs, str(data))
        cfg = RMTrainConfig(model="minilm", data=[str(data)], out=str(out / name / "model"), max_steps=args.steps, batch_size=16,
                            learning_rate=args.lr, max_length=512, logging_steps=25, save_steps=1000, overwrite=True, length_buckets=2)
        summary = train_reward_model(cfg)
        done = run_evaluation(str(out / name / "model"), [str(RB_OPEN)], out / name / "eval",
                              EvalOptions(baselines=False, batch_size=32, bf16=True, max_length=512, bootstrap=1000))
        result = {**done["results"][0], "model": f"minilm, {n:,} {name} pairs"}
        results.append(result)
        longer = sum(len(p.chosen) > len(p.rejected) for p in pairs) / n
        info[name] = {"pairs": n, "sources": dict(Counter(p.source for p in pairs)), "chosen_longer": longer,
                      "train_seconds": summary["train_seconds"], "score": result["score"], "sections": result["sections"],
                      "prior_sets": result["prior_sets"]}
    board = leaderboard(results)
    (RESULTS / "curate_quality_leaderboard.md").write_text(board)
    path = write_result("curate_quality", {"config": vars(args), "runs": info, "wall_seconds": time.perf_counter() - started})
    print(board)
    for name, r in info.items():
        print(f"{name}: chosen longer {100 * r['chosen_longer']:.1f}%, sources {r['sources']}")
    print(f"-> {path}")


if __name__ == "__main__":
    main()
