"""`rewardkit quickstart`: the main job, end to end on the embedded defaults.

Generate the synthetic subtle-error pairs, train a MiniLM reward model on the training
templates, evaluate it with the baselines on the held-out templates, print the leaderboard.
With ``--data`` (and ``--eval-data``) the same flow runs on the user's own files.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Optional

import typer

from rewardkit.console import console
from rewardkit.errors import RewardkitError

# Plain Bradley-Terry by default: the synthetic training families are length-balanced, and on
# them the penalty cost more than it gave (bench/results/quickstart_ablation.md: 61.2 without,
# 52.1 at 0.3, 51.8 at 1.0); on length-confounded data of your own, try --length-penalty 0.5.
LENGTH_PENALTY = 0.0


def quickstart(
    data: Optional[list[str]] = typer.Option(None, help="Your training files (default: generated synthetic pairs)."),
    eval_data: Optional[list[str]] = typer.Option(None, help="Your benchmark files (required with --data)."),
    out: Path = typer.Option(Path("runs/quickstart"), help="Folder for data/, model/ and eval/."),
    model: str = typer.Option("minilm", help="Backbone to train."),
    steps: int = typer.Option(250, min=1, help="Training steps."),
    n: int = typer.Option(2000, min=1, help="Synthetic training pairs (the test split gets n // 4)."),
    seed: int = typer.Option(0, help="Seed for the synthetic data and training."),
    length_penalty: float = typer.Option(LENGTH_PENALTY, min=0.0, help="Weight of the length-decorrelation term (train rm --length-penalty; 0: plain BT)."),
    max_length: Optional[int] = typer.Option(None, min=8, help="Tokens per conversation (default 256 synthetic, 512 own data)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Retrain even if OUT/model holds a run (a rerun with the same settings reuses it)."),
) -> None:
    """Generate data, train a reward model, evaluate it against baselines, print the leaderboard."""
    from transformers.utils import logging as hf_logging

    from rewardkit.outputs import output_folder

    hf_logging.disable_progress_bar()
    started = time.perf_counter()
    with output_folder(out, [*(data or []), *(eval_data or [])]):
        _quickstart(data, eval_data, out, model, steps, n, seed, max_length, length_penalty, overwrite)
    print(f"quickstart finished in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _quickstart(data, eval_data, out: Path, model: str, steps: int, n: int, seed: int, max_length, length_penalty: float,  # noqa: ANN001
                overwrite: bool) -> None:
    from rewardkit.data.synth import SynthConfig, generate_to
    from rewardkit.evaluate.report import leaderboard
    from rewardkit.evaluate.runner import EvalOptions, run_evaluation
    from rewardkit.models.classifier import bf16_supported, default_device
    from rewardkit.train.config import RMTrainConfig
    from rewardkit.train.rm import train_reward_model

    if data:
        if not eval_data:
            raise RewardkitError("with --data, give the benchmark to evaluate on with --eval-data")
        train_files, eval_files = list(data), list(eval_data)
        length = max_length or 512
    else:
        synth = out / "data"
        counts = generate_to(synth, SynthConfig(n_train=n, n_test=max(1, n // 4), seed=seed))
        print(f"1/3 data: {counts['train']['pairs']:,} training pairs, {counts['test']['pairs']:,} test pairs "
              f"from held-out templates -> {synth}", file=sys.stderr)
        train_files, eval_files = [str(synth / "train.jsonl")], [str(synth / "test.jsonl")]
        length = max_length or 256
    cfg = RMTrainConfig(model=model, data=train_files, out=str(out / "model"), max_steps=steps, batch_size=16,
                        learning_rate=5e-5, max_length=length, logging_steps=25, save_steps=max(steps // 2, 1),
                        seed=seed, length_penalty=length_penalty or None, overwrite=overwrite)
    summary = train_reward_model(cfg)
    reused = " (reused: trained earlier with the same settings and data; --overwrite retrains)" if summary.get("already_finished") else ""
    print(f"2/3 model: {summary['steps']} steps in {summary['train_seconds']:.0f} s -> {cfg.out}{reused}", file=sys.stderr)
    bf16 = bf16_supported(default_device())
    done = run_evaluation(cfg.out, eval_files, out / "eval",
                          EvalOptions(baselines=True, batch_size=64, bf16=bf16, max_length=length, bootstrap=1000))
    print(f"3/3 evaluation on {', '.join(eval_files)}:", file=sys.stderr)
    console().print(leaderboard(done["results"]), markup=False, highlight=False)
    for name, where in done["paths"].items():
        print(f"{name}: {where}", file=sys.stderr)
