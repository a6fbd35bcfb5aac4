"""Training a judge with a frozen bottom (`train judge --freeze-layers N`): SFT throughput of
SmolLM2-135M with the embeddings and the first N of its 30 layers frozen against the whole model,
on the same examples, steps and settings, in one run; and the held-out verdict loss each reaches
in those steps (the loss on the verdict tokens of judge prompts whose pairs share no prompt with
the training pairs), so that a faster arm that learns less shows it.

Tokens are steps x batch x the mean length of a training example (prompt and verdict, padding
left out): both arms draw the same examples, so the ratio is exact. Seconds are the trainer's
(model loading left out). SmolLM2 ties
its output layer to the embeddings, so a frozen arm keeps the output layer as loaded too.

    python bench/judge_freeze.py [--steps 6] [--freeze 0 20] [--batch-size 4] [--max-length 768]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import require_shared, sample_evenly, write_result  # noqa: E402
from judge_training import fits  # noqa: E402

from rewardkit.data.io import write_pairs  # noqa: E402
from rewardkit.train.config import JudgeTrainConfig  # noqa: E402
from rewardkit.train.judge import train_judge  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=6, help="optimiser steps per arm (default: %(default)s)")
    ap.add_argument("--freeze", type=int, nargs="+", default=[0, 20], help="freeze_layers of each arm (default: %(default)s)")
    ap.add_argument("--batch-size", type=int, default=4, help="(default: %(default)s)")
    ap.add_argument("--max-length", type=int, default=768, help="(default: %(default)s)")
    ap.add_argument("--lr", type=float, default=3e-5, help="(default: %(default)s)")
    ap.add_argument("--out", default="runs/bench-judge-freeze", help="(default: %(default)s)")
    args = ap.parse_args()
    require_shared()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    out = Path(args.out)
    train, held, info = sample_evenly(20, 6, seed=0)
    train, held = fits(train, args.max_length), fits(held, args.max_length)  # no arm truncates
    write_pairs(train, str(out / "train.jsonl"))
    write_pairs(held, str(out / "held.jsonl"))
    result: dict = {"model": "smollm2", "layers": 30, "steps": args.steps, "batch_size": args.batch_size,
                    "max_length": args.max_length, "learning_rate": args.lr, "train_pairs": len(train), "held_out_pairs": len(held),
                    "sampling": info, "arms": {}}
    started = time.perf_counter()
    for n in args.freeze:
        cfg = JudgeTrainConfig(method="sft", model="smollm2", data=[str(out / "train.jsonl")], eval_data=[str(out / "held.jsonl")],
                               out=str(out / f"freeze-{n}"), max_steps=args.steps, batch_size=args.batch_size,
                               max_length=args.max_length, learning_rate=args.lr, freeze_layers=n, overwrite=True,
                               logging_steps=1, save_steps=10_000, seed=0)
        summary = train_judge(cfg, progress=False)
        # every arm sees the same examples (same data, seed and sampler), so the ratio is exact; the
        # absolute rate takes the mean example length for the examples the steps drew
        tokens = args.steps * args.batch_size * (summary["prompt_tokens"] + summary["target_tokens"]) / summary["examples"]
        arm = {"freeze_layers": n, "frozen_parameters": summary["frozen_parameters"], "train_seconds": summary["train_seconds"],
               "tokens_per_second": tokens / summary["train_seconds"], "train_loss": summary["train_loss"],
               "held_out_verdict_loss": summary["eval_loss"]}
        result["arms"][str(n)] = arm
        print(f"freeze {n}: {arm}", flush=True)
    base = result["arms"][str(args.freeze[0])]["tokens_per_second"]
    for arm in result["arms"].values():
        arm["speedup"] = arm["tokens_per_second"] / base
    result["wall_minutes"] = (time.perf_counter() - started) / 60
    print(f"-> {write_result('judge_freeze', result)}")


if __name__ == "__main__":
    main()
