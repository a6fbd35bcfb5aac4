"""`rewardkit eval`: RewardBench-style evaluation of any scorer or judge, and leaderboards."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from rewardkit.cli.options import (
    AttnOption,
    Bf16Option,
    DeviceMapOption,
    DtypeOption,
    INVALID_HELP,
    RemoteCodeOption,
    UNTRAINED_HELP,
    choice,
    invalid_policy,
    load_options,
)
from rewardkit.console import console


def eval_command(
    model: Optional[str] = typer.Option(None, help="A trained folder, hub id, minilm, smollm2, length/shortest/random/relevance, the verifiers exec:LANG (python, javascript, cpp, java) and calc, ensemble:A,B@W, judge:TEMPLATE:MODEL, tree:DIR or linear:DIR."),
    data: Optional[list[str]] = typer.Option(None, help="Benchmark files in any supported format (RewardBench rows, rb-open, synth test)."),
    out: Optional[Path] = typer.Option(None, help="Report folder: results.json, scores.jsonl, leaderboard.md, plots (with --compare: a markdown file)."),
    compare: Optional[list[str]] = typer.Option(None, help="results.json files to put side by side (no evaluation)."),
    baselines: bool = typer.Option(True, "--baselines/--no-baselines", help="Also evaluate length, shortest and random."),
    also: Optional[list[str]] = typer.Option(None, "--also", help="Another spec to evaluate on the same pairs and report beside MODEL (repeatable), e.g. ensemble:MODEL,exec:python@4."),
    batch_size: int = typer.Option(32, min=1, help="Sequences per forward pass."),
    dtype: DtypeOption = "auto",
    device_map: DeviceMapOption = None,
    attn_implementation: AttnOption = None,
    trust_remote_code: RemoteCodeOption = False,
    bf16: Bf16Option = None,
    max_length: Optional[int] = typer.Option(None, min=8, help="Tokens per conversation (default: the model's, else 512)."),
    bootstrap: int = typer.Option(1000, min=0, help="Bootstrap rounds for the confidence intervals (0: none)."),
    invalid: str = typer.Option("error", help=INVALID_HELP),
    allow_untrained_head: bool = typer.Option(False, "--allow-untrained-head", help=UNTRAINED_HELP),
    judge_mode: str = typer.Option("generate", "--judge-mode", help="For judge:TEMPLATE:MODEL specs: generate or logprob."),
    judge_orders: str = typer.Option("both", "--judge-orders", help="For judges: both (position consistency), random or given."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Response cache (SQLite). Judges: default OUT/cache.sqlite; a rerun asks only what is missing. Scorers: only when given; every scorer (each ensemble member apart) keeps its rewards per conversation, so a rerun or a reweighted ensemble scores only what is new."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Evaluate only the first N pairs (quick runs of slow judges)."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Judges on an OpenAI-compatible server: requests in flight."),
    timeout: float = typer.Option(120.0, "--timeout", min=0.001, help="Judges on an OpenAI-compatible server: seconds per request."),
    api_key_env: str = typer.Option("OPENAI_API_KEY", "--api-key-env", help="Judges on an OpenAI-compatible server: the variable holding the key."),
) -> None:
    """Evaluate a reward model or judge RewardBench-style, or compare saved results.

    MODEL is a reward model (a folder, hub id, minilm, smollm2), a baseline (length, shortest,
    random, relevance), an ensemble of scorers (ensemble:A,B@W), or a generative judge, judge:TEMPLATE:MODEL (e.g. judge:skywork-critic:smollm2).
    """
    from rewardkit.evaluate.report import data_mismatch, leaderboard, load_results, subset_table

    if compare:
        if model or data:
            raise typer.BadParameter("--compare puts saved results side by side; it takes no --model or --data")
        results = [load_results(path) for path in compare]
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
    options = EvalOptions(baselines=baselines, also=tuple(also or ()), batch_size=batch_size, dtype=dtype, device_map=device_map,
                          attn_implementation=attn_implementation, trust_remote_code=trust_remote_code, bf16=bf16,
                          max_length=max_length, bootstrap=bootstrap,
                          invalid=invalid, allow_untrained_head=allow_untrained_head, judge_mode=judge_mode,
                          judge_orders=judge_orders, judge_cache=str(cache) if cache else None, score_cache=str(cache) if cache else None, limit=limit,
                          concurrency=concurrency, timeout=timeout, api_key=os.environ.get(api_key_env))
    done = run_evaluation(model, data, out, options)
    if not done["paths"]:
        return  # a secondary process of a multi-process launch: the first one reports
    print(done["read"].summary(), file=sys.stderr)
    console().print(leaderboard(done["results"]), markup=False, highlight=False)
    cache_info = done["results"][0].get("cache")
    if cache_info:
        print(f"cache {cache_info['path']}: {cache_info['hits']:,} hits, {cache_info['misses']:,} misses", file=sys.stderr)
    for name, where in done["paths"].items():
        print(f"{name}: {where}", file=sys.stderr)
