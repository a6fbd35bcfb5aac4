"""`rewardkit score`: rewards for the chosen and rejected responses of every pair in some files."""

from __future__ import annotations

import json
import sys
import time
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
    invalid_policy,
    load_options,
    read_input_pairs,
)
from rewardkit.console import progress_for


def score(
    model: str = typer.Option(..., help="A trained folder, minilm, smollm2, a hub id, length/shortest/random/relevance, the verifiers exec:LANG (python, javascript, cpp, java) and calc, or ensemble:A,B@W."),
    data: list[str] = typer.Option(..., help="Data files (any supported format); several allowed, scored in order."),
    out: str = typer.Option(..., help="Output file (.jsonl, .jsonl.gz, .json, .parquet): id, subset, source, chosen_reward, rejected_reward per pair."),
    batch_size: int = typer.Option(32, min=1, help="Sequences per forward pass (batches are length-sorted)."),
    max_length: Optional[int] = typer.Option(None, min=8, help="Tokens per conversation (default: the model's, else 512)."),
    dtype: DtypeOption = "auto",
    device_map: DeviceMapOption = None,
    attn_implementation: AttnOption = None,
    trust_remote_code: RemoteCodeOption = False,
    bf16: Bf16Option = None,
    normalize: bool = typer.Option(True, "--normalize/--raw", help="Apply the model's stored reward normalisation, if any."),
    format: Optional[str] = typer.Option(None, "--format", help="Row format of the data (default: detected)."),
    invalid: str = typer.Option("error", help=INVALID_HELP),
    allow_untrained_head: bool = typer.Option(False, "--allow-untrained-head", help=UNTRAINED_HELP),
    cache: Optional[str] = typer.Option(None, "--cache", help="SQLite file where every scorer (each ensemble member apart) keeps its "
                                        "rewards per conversation: a rerun scores only what is new (one process only)."),
) -> None:
    """Score every pair of some data files with any reward scorer."""
    from transformers.utils import logging as hf_logging

    from rewardkit.data.containers import output_container, write_rows, write_text_atomic
    from rewardkit.manifest import build_manifest
    from rewardkit.models.cached import open_score_cache
    from rewardkit.models.distributed import score_sharded, world
    from rewardkit.models.protocols import pair_conversations, pair_rewards
    from rewardkit.models.registry import load_scorer
    from rewardkit.outputs import check_output_file

    invalid_policy(invalid)
    options = load_options(dtype, device_map, attn_implementation, trust_remote_code, bf16)
    output_container(out)  # a supported container, before any work
    check_output_file(out, data)
    check_output_file(out + ".manifest.json", data)
    hf_logging.disable_progress_bar()
    score_cache = open_score_cache(cache)  # a bad cache path fails before any work
    pairs, report = read_input_pairs(data, invalid, format)
    scorer = load_scorer(model, cache=score_cache, batch_size=batch_size, max_length=max_length, normalize=normalize,
                         allow_untrained_head=allow_untrained_head, **vars(options))
    convs = pair_conversations(pairs)
    started = time.perf_counter()
    with progress_for("scoring", total=len(convs)) as advance:
        rewards = score_sharded(scorer, convs, advance)  # all processes of a torchrun launch share the work
    seconds = time.perf_counter() - started
    rank, size = world()
    if rank != 0:
        return  # the first process writes
    n = len(pairs)
    rows = [
        {"id": p.id, "subset": p.subset, "source": p.source, "chosen_reward": c, "rejected_reward": r}
        for p, (c, r) in zip(pairs, pair_rewards(rewards))
    ]
    write_rows(rows, out)
    accuracy = sum(r["chosen_reward"] > r["rejected_reward"] for r in rows) / n
    counts = {"read": report.to_dict(), "pairs": n, "accuracy": accuracy, "seconds": seconds,
              "truncated_conversations": getattr(scorer, "truncated", 0),
              "normalization": getattr(scorer, "normalization", None)}
    counts["processes"] = size
    if score_cache is not None:
        counts["cache"] = {"path": str(score_cache.path), "hits": score_cache.hits, "misses": score_cache.misses}
    config = {"model": model, "data": data, "batch_size": batch_size, "max_length": max_length, "normalize": normalize,
              "invalid": invalid, "allow_untrained_head": allow_untrained_head, "cache": cache,
              "loading": getattr(scorer, "load_options", None) or vars(options)}
    write_text_atomic(out + ".manifest.json", json.dumps(build_manifest("score", config, data, counts), indent=2, default=str) + "\n")
    print(f"{n:,} pairs scored in {seconds:.1f} s -> {out}; chosen > rejected on {100 * accuracy:.1f}%", file=sys.stderr)
