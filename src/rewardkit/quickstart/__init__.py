"""The main job, end to end: data, a reward model, its evaluation against the baselines.

    from rewardkit.quickstart import QuickstartOptions, run_quickstart
    done = run_quickstart(QuickstartOptions(out=Path("runs/quickstart")))
    done["results"]  # one entry per model and benchmark, baselines included (as `run_evaluation`)

Without data of its own it generates the synthetic subtle-error pairs (`data synth`), trains a
MiniLM reward model on the training templates and evaluates it on the held-out templates. With
``data`` (and ``eval_data``) the same flow runs on the user's files; ``eval_data`` alone
evaluates the model trained on synthetic pairs on the user's benchmark instead of the held-out
templates. `rewardkit quickstart` is
this function plus printing; a rerun with the same settings reuses the trained model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardkit.errors import RewardkitError

# Plain Bradley-Terry by default: the synthetic training families are length-balanced, and on
# them the penalty cost more than it gave (bench/results/quickstart_ablation.md: 61.2 without,
# 52.1 at 0.3, 51.8 at 1.0); on length-confounded data of your own, try a length penalty of 0.5.
LENGTH_PENALTY = 0.0
SYNTH_MAX_LENGTH = 256  # tokens per conversation on the synthetic pairs (the user's data gets 512)
# The second row: the trained model with two rule-based verifiers that abstain (0) where they have
# nothing to check: `exec:python` runs a response's Python on the examples its prompt gives (2 *
# passed - 1, `rewardkit.models.execution`) and `calc` recomputes its written-out arithmetic (-1 on
# a wrong equation, `rewardkit.models.arithmetic`). The model's rewards are standardized; at 8, a
# failed example (a gap of 2) or a wrong equation (1) outweighs a model gap of 8 standard
# deviations, so where a verifier tells the two answers apart it decides. A 250-step MiniLM reads
# code and sums and runs neither: on held-out templates its Code is below random
# (bench/results/quickstart_ablation.md).
VERIFIER_WEIGHT = 8.0


def with_verifiers(model: str) -> str:
    """The spec of `model` with the code and arithmetic verifiers, as the quickstart reports it."""
    return f"ensemble:{model},exec:python@{VERIFIER_WEIGHT:g},calc@{VERIFIER_WEIGHT:g}"


@dataclass
class QuickstartOptions:
    """What `run_quickstart` does.

    Attributes:
        out: folder for ``data/`` (synthetic pairs), ``model/`` and ``eval/``.
        data, eval_data: the user's training and benchmark files (``data`` needs ``eval_data``;
            ``eval_data`` alone replaces the synthetic held-out test).
        model: backbone to train. steps: training steps. n: synthetic training pairs (the test
        split gets ``n // 4``). seed: for the synthetic data and training.
        length_penalty: weight of the length-decorrelation term (0: plain Bradley-Terry).
        max_length: tokens per conversation (None: 256 on synthetic data, 512 on the user's).
        overwrite: retrain even if ``out/model`` holds a finished run with the same settings.
    """

    out: Path = Path("runs/quickstart")
    data: list[str] = field(default_factory=list)
    eval_data: list[str] = field(default_factory=list)
    model: str = "minilm"
    steps: int = 250
    n: int = 2000
    seed: int = 0
    length_penalty: float = LENGTH_PENALTY
    max_length: int | None = None
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.data and not self.eval_data:
            raise RewardkitError("with --data, give the benchmark to evaluate on with --eval-data")


def train_config(options: QuickstartOptions, train_files: list[str], max_length: int) -> Any:
    """The `RMTrainConfig` the quickstart trains with (into ``options.out / "model"``); the bench
    that varies its data (`bench/quickstart_lm.py`) trains with the same."""
    from rewardkit.train.config import RMTrainConfig

    return RMTrainConfig(model=options.model, data=train_files, out=str(Path(options.out) / "model"), max_steps=options.steps,
                         batch_size=16, learning_rate=5e-5, max_length=max_length, logging_steps=25,
                         save_steps=max(options.steps // 2, 1), seed=options.seed, length_penalty=options.length_penalty or None,
                         overwrite=options.overwrite)


def run_quickstart(options: QuickstartOptions, report: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """Data, training and evaluation; `report` gets one line per step. Returns `run_evaluation`'s
    result (the model, the model with the verifiers, the baselines) with ``train`` (the
    training summary) and ``model`` (its folder) added."""
    from rewardkit.data.synth import SynthConfig, generate_to
    from rewardkit.evaluate.runner import EvalOptions, run_evaluation
    from rewardkit.models.classifier import bf16_supported, default_device
    from rewardkit.train.rm import train_reward_model

    out = Path(options.out)
    if options.data:
        train_files, eval_files = list(options.data), list(options.eval_data)
        length = options.max_length or 512
    else:
        synth = out / "data"
        counts = generate_to(synth, SynthConfig(n_train=options.n, n_test=max(1, options.n // 4), seed=options.seed))
        report(f"1/3 data: {counts['train']['pairs']:,} training pairs, {counts['test']['pairs']:,} test pairs "
               f"from held-out templates -> {synth}")
        train_files, eval_files = [str(synth / "train.jsonl")], list(options.eval_data) or [str(synth / "test.jsonl")]
        length = options.max_length or SYNTH_MAX_LENGTH
    cfg = train_config(options, train_files, length)
    summary = train_reward_model(cfg)
    reused = " (reused: trained earlier with the same settings and data; --overwrite retrains)" if summary.get("already_finished") else ""
    report(f"2/3 model: {summary['steps']} steps in {summary['train_seconds']:.0f} s -> {cfg.out}{reused}")
    done = run_evaluation(cfg.out, eval_files, out / "eval",
                          EvalOptions(baselines=True, also=(with_verifiers(cfg.out),), batch_size=64, bf16=bf16_supported(default_device()), max_length=length,
                                      bootstrap=1000))
    report(f"3/3 evaluation on {', '.join(eval_files)}:")
    return {**done, "train": summary, "model": cfg.out}
