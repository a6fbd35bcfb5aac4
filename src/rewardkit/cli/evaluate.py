"""`rewardkit eval`: RewardBench-style evaluation of any scorer or judge, and leaderboards."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from rewardkit.cli.options import (
    ATTN_HELP,
    BF16_HELP,
    DEVICE_MAP_HELP,
    DTYPE_HELP,
    INVALID_HELP,
    REMOTE_CODE_HELP,
    UNTRAINED_HELP,
    choice,
    invalid_policy,
    load_options,
)
from rewardkit.console import console
from rewardkit.errors import RewardkitError


def eval_command(
    model: Optional[str] = typer.Option(None, help="A trained folder, hub id, minilm, smollm2, length/shortest/random, or judge:TEMPLATE:MODEL."),
    data: Optional[list[str]] = typer.Option(None, help="Benchmark files in any supported format (RewardBench rows, rb-open, synth test)."),
    out: Optional[Path] = typer.Option(None, help="Report folder: results.json, scores.jsonl, leaderboard.md, plots (with --compare: a markdown file)."),
    compare: Optional[list[str]] = typer.Option(None, help="results.json files to put side by side (no evaluation)."),
    baselines: bool = typer.Option(True, "--baselines/--no-baselines", help="Also evaluate length, shortest and random."),
    batch_size: int = typer.Option(32, min=1, help="Sequences per forward pass."),
    dtype: str = typer.Option("auto", "--dtype", help=DTYPE_HELP),
    device_map: Optional[str] = typer.Option(None, "--device-map", help=DEVICE_MAP_HELP),
    attn_implementation: Optional[str] = typer.Option(None, "--attn-implementation", help=ATTN_HELP),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code", help=REMOTE_CODE_HELP),
    bf16: Optional[bool] = typer.Option(None, "--bf16/--no-bf16", help=BF16_HELP),
    max_length: Optional[int] = typer.Option(None, min=8, help="Tokens per conversation (default: the model's, else 512)."),
    bootstrap: int = typer.Option(1000, min=0, help="Bootstrap rounds for the confidence intervals (0: none)."),
    invalid: str = typer.Option("error", help=INVALID_HELP),
    allow_untrained_head: bool = typer.Option(False, "--allow-untrained-head", help=UNTRAINED_HELP),
    judge_mode: str = typer.Option("generate", "--judge-mode", help="For judge:TEMPLATE:MODEL specs: generate or logprob."),
    judge_orders: str = typer.Option("both", "--judge-orders", help="For judges: both (position consistency), random or given."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Judges: response cache (SQLite; default OUT/cache.sqlite); a rerun asks only what is missing."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Evaluate only the first N pairs (quick runs of slow judges)."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Judges on an OpenAI-compatible server: requests in flight."),
    timeout: float = typer.Option(120.0, "--timeout", min=0.001, help="Judges on an OpenAI-compatible server: seconds per request."),
    api_key_env: str = typer.Option("OPENAI_API_KEY", "--api-key-env", help="Judges on an OpenAI-compatible server: the variable holding the key."),
) -> None:
    """Evaluate a reward model or judge RewardBench-style, or compare saved results.

    MODEL is a reward model (a folder, hub id, minilm, smollm2), a baseline (length, shortest,
    random), or a generative judge, judge:TEMPLATE:MODEL (e.g. judge:skywork-critic:smollm2).
    """
    from rewardkit.evaluate.report import data_mismatch, leaderboard, subset_table

    if compare:
        if model or data:
            raise typer.BadParameter("--compare puts saved results side by side; it takes no --model or --data")
        results = [_load_results(path) for path in compare]
        text = leaderboard(results) + "\n" + subset_table(results)
        warning = data_mismatch(results)
        if warning:
            print(warning, file=sys.stderr)
            text += "\n" + warning + "\n"
        if out:
            from rewardkit.data.containers import write_text_atomic
            from rewardkit.outputs import check_output_file

            check_output_file(out, compare)
            write_text_atomic(out, text)
        print(text)
        return
    if not model or not data or not out:
        raise typer.BadParameter("give --model, --data and --out (or --compare RESULTS.json...)")
    from rewardkit.data.io import INVALID_POLICIES
    from rewardkit.evaluate.runner import EvalOptions, run_evaluation
    from rewardkit.models.judges.judge import MODES, ORDERS

    invalid_policy(invalid, INVALID_POLICIES)
    choice(judge_mode, MODES, "--judge-mode")
    choice(judge_orders, ORDERS, "--judge-orders")
    load_options(dtype, device_map, attn_implementation, trust_remote_code, bf16)
    options = EvalOptions(baselines=baselines, batch_size=batch_size, dtype=dtype, device_map=device_map,
                          attn_implementation=attn_implementation, trust_remote_code=trust_remote_code, bf16=bf16,
                          max_length=max_length, bootstrap=bootstrap,
                          invalid=invalid, allow_untrained_head=allow_untrained_head, judge_mode=judge_mode,
                          judge_orders=judge_orders, judge_cache=str(cache) if cache else None, limit=limit,
                          concurrency=concurrency, timeout=timeout, api_key=os.environ.get(api_key_env))
    done = run_evaluation(model, data, out, options)
    if not done["paths"]:
        return  # a secondary process of a multi-process launch: the first one reports
    print(done["read"].summary(), file=sys.stderr)
    console().print(leaderboard(done["results"]), markup=False, highlight=False)
    cache_info = done["results"][0].get("cache")
    if cache_info:
        print(f"judge cache {cache_info['path']}: {cache_info['hits']:,} hits, {cache_info['misses']:,} misses", file=sys.stderr)
    for name, where in done["paths"].items():
        print(f"{name}: {where}", file=sys.stderr)


def _accuracy(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise RewardkitError(f"{where}: expected an accuracy in [0, 1], got {value!r} (percentages are not accepted)")
    return float(value)


def _load_results(path: str) -> dict:
    """A rewardkit results.json, or a reward-bench results file (per-subset accuracies by name);
    every accuracy is checked to lie in [0, 1]."""
    from rewardkit.evaluate.benchmarks import benchmark_for
    from rewardkit.evaluate.metrics import section_scores

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise RewardkitError(f"{path}: not a readable results file ({e})") from None
    if not isinstance(data, dict):
        raise RewardkitError(f"{path}: not a results file (expected a JSON object)")
    if "subsets" in data and "sections" in data:
        subsets, sections = data["subsets"], data["sections"]
        if not isinstance(subsets, dict) or not isinstance(sections, dict) or not isinstance(data.get("model"), str):
            raise RewardkitError(f"{path}: not a rewardkit results file (model, subsets and sections)")
        for name, sub in subsets.items():
            if not isinstance(sub, dict) or not isinstance(sub.get("n"), int) or isinstance(sub.get("n"), bool):
                raise RewardkitError(f"{path}: field 'subsets.{name}': expected {{\"accuracy\": float, \"n\": int}}")
            _accuracy(sub.get("accuracy"), f"{path}: field 'subsets.{name}.accuracy'")
        for name, value in sections.items():
            _accuracy(value, f"{path}: field 'sections.{name}'")
        for key in ("score", "prior_sets"):
            if data.get(key) is not None:
                _accuracy(data[key], f"{path}: field '{key}'")
        data.setdefault("weighting", "rows-present")
        return data
    # reward-bench writes {"model": ..., "chat_template": ..., "<subset>": accuracy, ...}
    subsets = {k: {"accuracy": _accuracy(v, f"{path}: field '{k}'"), "n": 0}
               for k, v in data.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if not subsets:
        raise RewardkitError(f"{path}: not a results file (no per-subset accuracies)")
    bench = benchmark_for(set(subsets))
    official = bench.official_counts() if bench else {}
    for s in subsets:
        subsets[s]["n"] = official.get(s, 1)
    scores = section_scores(subsets, bench)
    return {"model": str(data.get("model", Path(path).stem)), "subsets": subsets, "sections": scores.sections,
            "prior_sets": scores.prior_sets, "score": scores.score, "weighting": "official", "unknown_subsets": scores.unknown_subsets}
