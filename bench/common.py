"""Helpers shared by the benchmarks: the shared data location, even sampling, result files."""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
from pathlib import Path
from typing import Any

from rewardkit.data.io import ReadReport, read_pairs
from rewardkit.data.schema import PreferencePair
from rewardkit.evaluate.benchmarks import SYNTH
from rewardkit.evaluate.metrics import Outcome, pair_outcome, section_scores, subset_accuracy
from rewardkit.models.protocols import pair_rewards

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REWARDKIT_SHARED_DATA", REPO.parent / "shared" / "data"))
TRAIN_FILES = sorted((SHARED / "train").glob("*.jsonl.gz"))
RB_OPEN = SHARED / "eval" / "rb-open.jsonl"
RESULTS = REPO / "bench" / "results"


def free_port() -> int:
    """A free TCP port on the loopback address, for a server the bench starts."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_shared() -> None:
    if not TRAIN_FILES or not RB_OPEN.exists():
        raise SystemExit(f"shared data not found at {SHARED}; set REWARDKIT_SHARED_DATA")


def benchmark_prompts() -> set[str]:
    """Exact prompt texts of rb-open (the last user turn), to keep out of training."""
    return {p.prompt[-1].content for p in read_pairs(str(RB_OPEN))}


def sample_evenly(per_file: int, held_out_per_file: int, seed: int = 0) -> tuple[list[PreferencePair], list[PreferencePair], dict[str, Any]]:
    """`per_file` training and `held_out_per_file` held-out pairs from each training file.

    Pairs whose prompt equals a rb-open prompt are excluded, and so are flawed pairs (empty or
    identical responses); both are counted. Train and held-out pairs never share a prompt.
    """
    banned = benchmark_prompts()
    rng = random.Random(seed)
    train: list[PreferencePair] = []
    held: list[PreferencePair] = []
    info: dict[str, Any] = {}
    for path in TRAIN_FILES:
        report = ReadReport()
        pairs = list(read_pairs(str(path), invalid="skip", report=report))
        clean = [p for p in pairs if p.prompt[-1].content not in banned]
        prompts = sorted({p.prompt[-1].content for p in clean})
        rng.shuffle(prompts)
        # Hold out whole prompts (a random tenth of them, more if needed to fill the slice), then
        # sample the held-out pairs across all of those prompts.
        held_prompts: set[str] = set()
        by_prompt: dict[str, list[PreferencePair]] = {}
        for p in clean:
            by_prompt.setdefault(p.prompt[-1].content, []).append(p)
        held_file: list[PreferencePair] = []
        for prompt in prompts:
            if len(held_file) >= held_out_per_file and len(held_prompts) >= len(prompts) // 10:
                break
            held_prompts.add(prompt)
            held_file.extend(by_prompt[prompt])
        held_file = rng.sample(held_file, min(held_out_per_file, len(held_file)))
        rest = [p for p in clean if p.prompt[-1].content not in held_prompts]
        train_file = rng.sample(rest, min(per_file, len(rest)))
        train += train_file
        held += held_file
        info[path.name] = {"rows": report.rows, "skipped": dict(report.skipped), "benchmark_prompt_pairs": len(pairs) - len(clean),
                           "train": len(train_file), "held_out": len(held_file), "held_out_prompts": len(held_prompts)}
    rng.shuffle(train)
    return train, held, info


def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count()}, **result}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return path


MEMBER_WEIGHTS = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0)


def member_scale(rm_values: list[float], member_values: list[float]) -> float:
    """std(reward model) / std(member) on the same conversations: a member's ensemble spec weight
    is its share w on the grid times this. The share is then in units of the reward model's own
    spread, so the choice is the same whatever the model's scale (issue 13: the model trained
    without hh-rlhf read 1.5x wider, and a grid of w / std(member) alone gave its members less
    say than the same w beside the shipped model)."""
    return (statistics.pstdev(rm_values) or 1.0) / (statistics.pstdev(member_values) or 1.0)


def sections(rewards: list[float], pairs: list) -> dict[str, float]:
    """The synthetic sections and their mean, from rewards in `pair_conversations`' order (every
    chosen conversation, then every rejected one)."""
    outcomes = [Outcome(p.id, p.subset, pair_outcome(c, r), None, None, 0, 0) for p, (c, r) in zip(pairs, pair_rewards(rewards))]
    s = section_scores(subset_accuracy(outcomes), SYNTH)
    return {"score": s.score, **s.sections}
