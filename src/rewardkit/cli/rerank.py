"""`rewardkit rerank`: best-of-N by a reward model, or by a judge's knockout."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from rewardkit.cli.options import ATTN_HELP, BF16_HELP, DEVICE_MAP_HELP, DTYPE_HELP, REMOTE_CODE_HELP, load_options


def rerank(
    model: str = typer.Option(..., help="A reward model (folder, hub id, length...) or judge:TEMPLATE:MODEL (knockout, both orders)."),
    data: list[str] = typer.Option(..., help="Candidates: rows {prompt, response} grouped by prompt, or {prompt, responses: [...]}."),
    out: str = typer.Option(..., help="Output file: per prompt the best response, its index, every candidate with its score."),
    n: Optional[int] = typer.Option(None, "--n", min=1, help="Use the first N candidates of each prompt."),
    batch_size: int = typer.Option(32, min=1, help="Sequences per forward pass."),
    max_length: Optional[int] = typer.Option(None, min=8, help="Tokens per conversation (default: the model's)."),
    dtype: str = typer.Option("auto", "--dtype", help=DTYPE_HELP),
    device_map: Optional[str] = typer.Option(None, "--device-map", help=DEVICE_MAP_HELP),
    attn_implementation: Optional[str] = typer.Option(None, "--attn-implementation", help=ATTN_HELP),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code", help=REMOTE_CODE_HELP),
    bf16: Optional[bool] = typer.Option(None, "--bf16/--no-bf16", help=BF16_HELP),
    judge_mode: str = typer.Option("logprob", "--judge-mode", help="For judges: logprob or generate."),
) -> None:
    """Keep the best of N candidate responses per prompt."""
    from rewardkit.cli.serve import load_served
    from rewardkit.data.containers import output_container, write_rows, write_text_atomic
    from rewardkit.errors import DataError
    from rewardkit.manifest import build_manifest
    from rewardkit.outputs import check_output_file
    from rewardkit.rerank import pick_rows, read_candidates
    from rewardkit.rerank import rerank as run_rerank
    from rewardkit.serve.config import ServeConfig

    options = load_options(dtype, device_map, attn_implementation, trust_remote_code, bf16)
    output_container(out)
    check_output_file(out, data)
    groups = read_candidates(data, n=n)
    if not groups:
        raise DataError(f"no candidates in {', '.join(data)}")
    scorer = load_served(model, ServeConfig(model=model, batch_size=batch_size, max_length=max_length), options, judge_mode)
    picks = run_rerank(scorer, groups)
    write_rows(pick_rows(groups, picks), out)
    counts = {"prompts": len(groups), "candidates": sum(len(g.responses) for g in groups)}
    config = {"model": model, "data": data, "n": n, "batch_size": batch_size, "max_length": max_length, "loading": vars(options)}
    write_text_atomic(out + ".manifest.json", json.dumps(build_manifest("rerank", config, data, counts), indent=2, default=str) + "\n")
    print(f"{counts['prompts']:,} prompts, {counts['candidates']:,} candidates -> {out}", file=sys.stderr)
