"""`rewardkit judge`: a generative judge over preference pairs, per-pair verdicts with raw outputs."""

from __future__ import annotations

import json
import sys
import time
from itertools import islice
from pathlib import Path
from typing import Any, Optional

import typer

from rewardkit.cli.options import (
    AttnOption,
    Bf16Option,
    DeviceMapOption,
    DtypeOption,
    INVALID_HELP,
    RemoteCodeOption,
    choice,
    invalid_policy,
    load_options,
    no_pairs,
)
from rewardkit.console import progress_for

_AB = {"first": "A", "second": "B", "tie": "tie", "unparsed": "unparsed"}
_SCORE = {"chosen": 1.0, "rejected": 0.0, "tie": 0.5, "unparsed": 0.5}
_NAMED = {"first": "chosen", "second": "rejected", "tie": "tie", "unparsed": "unparsed"}


def _order_entry(verdict: Any, chosen_first: bool) -> dict[str, Any]:
    """One order as the judge saw it: which answer was A, what it answered, P(A), raw text."""
    winner = verdict.winner if chosen_first else {"first": "second", "second": "first"}.get(verdict.winner, verdict.winner)
    prob_a = verdict.prob_first if chosen_first or verdict.prob_first is None else 1.0 - verdict.prob_first
    return {"shown": ["chosen", "rejected"] if chosen_first else ["rejected", "chosen"], "verdict": _AB[winner],
            "prob_a": prob_a, "raw": verdict.raw}


def verdict_rows(pairs: list, verdicts: list, swapped: list[bool]) -> list[dict[str, Any]]:
    rows = []
    for i, (p, v) in enumerate(zip(pairs, verdicts)):
        if v.orders is not None:
            orders = [_order_entry(v.orders[0], True), _order_entry(v.orders[1], False)]
            consistent: bool | None = v.orders[0].winner == v.orders[1].winner and v.orders[0].winner in ("first", "second")
        else:
            orders = [_order_entry(v, not (swapped[i] if swapped else False))]
            consistent = None
        winner = _NAMED[v.winner]
        rows.append({"id": p.id, "source": p.source, "subset": p.subset, "winner": winner, "prob_chosen": v.prob_first,
                     "score": _SCORE[winner], "consistent": consistent, "orders": orders})
    return rows


def judge(
    model: str = typer.Option(..., "--model", help="Causal LM folder, hub id or smollm2; llama-cpp:PATH; openai:MODEL@BASE_URL."),
    template: str = typer.Option(..., "--template", help="skywork-critic, con-j, con-j-en, mt-bench-pair, or a template file (.yaml, or Jinja with --verdict)."),
    data: list[str] = typer.Option(..., "--data", help="Preference pairs (any supported format); chosen/rejected give the accuracy."),
    out: Path = typer.Option(..., "--out", help="Folder: verdicts.jsonl, summary.json, manifest.json."),
    mode: str = typer.Option("generate", "--mode", help="generate (parse the answer) or logprob (P(A) vs P(B), one forward pass per order)."),
    orders: str = typer.Option("both", "--orders", help="both (position consistency; disagreement = tie), random (reward-bench), or given."),
    verdict: Optional[str] = typer.Option(None, "--verdict", help="Verdict format of a Jinja template: tag, json, output, number."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Judge only the first N pairs."),
    batch_size: int = typer.Option(8, "--batch-size", min=1, help="Prompts per forward pass (transformers backend)."),
    max_new_tokens: Optional[int] = typer.Option(None, "--max-new-tokens", min=1, help="Override the template's generation budget."),
    dtype: DtypeOption = "auto",
    device_map: DeviceMapOption = None,
    attn_implementation: AttnOption = None,
    trust_remote_code: RemoteCodeOption = False,
    bf16: Bf16Option = None,
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Requests in flight (OpenAI backend)."),
    timeout: float = typer.Option(120.0, "--timeout", min=0.001, help="Seconds per request (OpenAI backend)."),
    max_retries: int = typer.Option(5, "--max-retries", min=0, help="Retries with exponential backoff (OpenAI backend)."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Response cache (SQLite; default OUT/cache.sqlite): a rerun asks only what is missing."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random order."),
    invalid: str = typer.Option("error", help=INVALID_HELP),
    api_key_env: str = typer.Option("OPENAI_API_KEY", "--api-key-env", help="Environment variable holding the API key (OpenAI backend)."),
) -> None:
    """Judge preference pairs with a generative judge; report accuracy and position consistency."""
    from transformers.utils import logging as hf_logging

    from rewardkit.data.io import ReadReport, read_pairs

    from rewardkit.errors import DataError
    from rewardkit.models.judges import MODES, ORDERS, load_template
    from rewardkit.models.verdicts import FORMATS as VERDICT_FORMATS
    from rewardkit.outputs import output_folder

    choice(mode, MODES, "--mode")
    choice(orders, ORDERS, "--orders")
    choice(verdict, VERDICT_FORMATS, "--verdict")
    invalid_policy(invalid)
    loading = load_options(dtype, device_map, attn_implementation, trust_remote_code, bf16)
    load_template(template, verdict=verdict)  # a bad template fails before the model loads
    hf_logging.disable_progress_bar()
    report = ReadReport()
    pairs = list(islice(read_pairs(data, invalid=invalid, report=report), limit))
    print(report.summary(), file=sys.stderr)
    if not pairs:
        raise DataError(no_pairs(data, report))
    with output_folder(out, data, writes=("verdicts.jsonl", "summary.json", "manifest.json")):
        _judge(pairs, report, data, out, model, template, mode, orders, verdict, limit, batch_size, max_new_tokens, loading,
               concurrency, timeout, max_retries, cache, seed, api_key_env)


def _judge(pairs, report, data, out, model, template, mode, orders, verdict, limit, batch_size, max_new_tokens, loading,  # noqa: ANN001
           concurrency, timeout, max_retries, cache, seed, api_key_env) -> None:
    import os

    from rewardkit.data.containers import write_rows, write_text_atomic
    from rewardkit.manifest import build_manifest, write_manifest
    from rewardkit.models.judges import load_judge
    from rewardkit.models.judges.cache import ResponseCache

    store = ResponseCache(cache or out / "cache.sqlite")
    jg = load_judge(model, template, mode=mode, orders=orders, verdict=verdict, seed=seed, cache=store,
                    max_new_tokens=max_new_tokens, batch_size=batch_size, concurrency=concurrency,
                    timeout=timeout, max_retries=max_retries, api_key=os.environ.get(api_key_env), **vars(loading))
    requests = len(pairs) * (2 if orders == "both" else 1)
    started = time.perf_counter()
    with progress_for(f"judging with {jg.name}", total=requests) as advance:
        verdicts = jg.judge([(p.prompt, p.chosen, p.rejected) for p in pairs], on_progress=advance)
    seconds = time.perf_counter() - started
    rows = verdict_rows(pairs, verdicts, jg.swapped)
    write_rows(rows, str(out / "verdicts.jsonl"))
    winners: dict[str, int] = {}
    for r in rows:
        winners[r["winner"]] = winners.get(r["winner"], 0) + 1
    summary = {
        "judge": jg.name, "template": jg.template.name, "mode": mode, "orders": orders, "pairs": len(rows),
        "accuracy": sum(r["score"] for r in rows) / len(rows) if rows else None,
        "winners": winners, "position": jg.stats if orders == "both" else None,
        "seconds": round(seconds, 2), "pairs_per_second": round(len(rows) / seconds, 3) if seconds > 0 else None,
        "cache": {"path": str(store.path), "hits": store.hits, "misses": store.misses},
        "truncated_inputs": getattr(jg.backend, "truncated", 0),
    }
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    config = {"model": model, "template": template, "mode": mode, "orders": orders, "verdict": verdict, "limit": limit,
              "batch_size": batch_size, "max_new_tokens": max_new_tokens or jg.template.max_new_tokens,
              "loading": getattr(jg.backend, "load_options", None) or vars(loading),
              "seed": seed, "template_fingerprint": jg.template.fingerprint, "api_key_env": api_key_env}
    write_manifest(out, build_manifest("judge", config, data, {"read": report.to_dict(), "pairs": len(rows), "winners": winners}))
    store.close()
    pos = summary["position"]
    line = f"{len(rows):,} pairs judged by {jg.name} ({mode}, orders {orders}) in {seconds:.1f} s: accuracy {100 * (summary['accuracy'] or 0):.1f}%"
    if pos:
        line += f", position consistency {100 * pos['consistency']:.1f}%, unparsed {100 * pos['unparsed_rate']:.1f}%"
    print(line + f"; cache hits {store.hits:,} -> {out / 'verdicts.jsonl'}", file=sys.stderr)
