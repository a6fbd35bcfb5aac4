"""`rewardkit rerank`: best-of-N by a reward model, or by a judge's knockout."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from rewardkit.cli.options import (
    AttnOption,
    Bf16Option,
    DeviceMapOption,
    DtypeOption,
    RemoteCodeOption,
    load_options,
)


def rerank(
    model: str = typer.Option(..., help="A reward model (folder, hub id, length..., linear:DIR) or a judge (judge:TEMPLATE:MODEL, tree:DIR; knockout, both orders)."),
    data: list[str] = typer.Option(..., help="Candidates: rows {prompt, response} grouped by prompt, or {prompt, responses: [...]}."),
    out: str = typer.Option(..., help="Output file: per prompt the best response, its index, every candidate with its score."),
    n: Optional[int] = typer.Option(None, "--n", min=1, help="Use the first N candidates of each prompt."),
    batch_size: int = typer.Option(32, min=1, help="Sequences per forward pass."),
    max_length: Optional[int] = typer.Option(None, min=8, help="Tokens per conversation (default: the model's)."),
    dtype: DtypeOption = "auto",
    device_map: DeviceMapOption = None,
    attn_implementation: AttnOption = None,
    trust_remote_code: RemoteCodeOption = False,
    bf16: Bf16Option = None,
    judge_mode: str = typer.Option("logprob", "--judge-mode", help="For judges: logprob or generate."),
) -> None:
    """Keep the best of N candidate responses per prompt."""
    from rewardkit.data.containers import output_container, write_rows, write_text_atomic
    from rewardkit.errors import DataError
    from rewardkit.manifest import build_manifest
    from rewardkit.outputs import check_output_file
    from rewardkit.rerank import pick_rows, read_candidates
    from rewardkit.rerank import rerank as run_rerank
    from rewardkit.models.registry import load_model

    options = load_options(dtype, device_map, attn_implementation, trust_remote_code, bf16)
    output_container(out)
    check_output_file(out, data)
    groups = read_candidates(data, n=n)
    if not groups:
        raise DataError(f"no candidates in {', '.join(data)}")
    scorer = load_model(model, judge_mode=judge_mode, judge_orders="both", batch_size=batch_size, max_length=max_length, **vars(options))
    picks = run_rerank(scorer, groups)
    write_rows(pick_rows(groups, picks), out)
    counts = {"prompts": len(groups), "candidates": sum(len(g.responses) for g in groups)}
    config = {"model": model, "data": data, "n": n, "batch_size": batch_size, "max_length": max_length, "loading": vars(options)}
    write_text_atomic(out + ".manifest.json", json.dumps(build_manifest("rerank", config, data, counts), indent=2, default=str) + "\n")
    print(f"{counts['prompts']:,} prompts, {counts['candidates']:,} candidates -> {out}", file=sys.stderr)
