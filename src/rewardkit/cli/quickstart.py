"""`rewardkit quickstart`: the main job, end to end on the embedded defaults (`rewardkit.quickstart`).

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
from rewardkit.quickstart import LENGTH_PENALTY, QuickstartOptions


def quickstart(
    data: Optional[list[str]] = typer.Option(None, help="Your training files (default: generated synthetic pairs)."),
    eval_data: Optional[list[str]] = typer.Option(None, help="Your benchmark files (required with --data; default: "
                                                  "the synthetic held-out test)."),
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

    from rewardkit.evaluate.report import leaderboard
    from rewardkit.outputs import output_folder
    from rewardkit.quickstart import run_quickstart

    hf_logging.disable_progress_bar()
    started = time.perf_counter()
    options = QuickstartOptions(out=out, data=list(data or []), eval_data=list(eval_data or []), model=model, steps=steps, n=n,
                                seed=seed, length_penalty=length_penalty, max_length=max_length, overwrite=overwrite)
    with output_folder(out, [*options.data, *options.eval_data]):
        done = run_quickstart(options, report=lambda line: print(line, file=sys.stderr))
    console().print(leaderboard(done["results"]), markup=False, highlight=False)
    for name, where in done["paths"].items():
        print(f"{name}: {where}", file=sys.stderr)
    print(f"quickstart finished in {time.perf_counter() - started:.0f} s", file=sys.stderr)
