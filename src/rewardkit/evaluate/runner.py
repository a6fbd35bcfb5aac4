"""`run_evaluation`: the whole of ``rewardkit eval`` as a library call (the CLI, the quickstart and
the benches all call it): read the benchmark, load the model or judge, evaluate it and the
baselines, write the report and its manifest into an output folder.

    done = run_evaluation("runs/rm", ["../shared/data/eval/rb-open.jsonl"], Path("runs/eval"), EvalOptions())
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rewardkit.errors import DataError, RewardkitError

REPORT_FILES = ("results.json", "scores.jsonl", "leaderboard.md", "manifest.json")


@dataclass
class EvalOptions:
    """How ``rewardkit eval`` runs.

    Attributes:
        baselines: also evaluate length, shortest and random.
        also: more specs to evaluate on the same pairs and report beside the model (an ensemble
            of it with another scorer, a second model), each loaded as the model is.
        batch_size: sequences (or judge prompts) per forward pass.
        dtype, device_map, attn_implementation, trust_remote_code: how the model loads
            (`rewardkit.models.loading.LoadOptions`; ``auto`` is bf16 where the hardware is fast at it).
        bf16: force bf16 autocast on or off (None: ``dtype`` decides).
        max_length: tokens per conversation (None: the model's, else 512).
        bootstrap: bootstrap rounds for the confidence intervals (0: none).
        invalid: ``error``, ``skip`` or ``keep`` for flawed benchmark rows (`rewardkit.data.io`).
        allow_untrained_head: score with a newly initialised head (a bare backbone).
        judge_mode, judge_orders: for ``judge:TEMPLATE:MODEL`` specs (`rewardkit.models.judges`).
        judge_cache: SQLite response cache for judges (None: ``OUT/cache.sqlite``).
        score_cache: SQLite cache of scorers' rewards per conversation, kept by each leaf scorer
            (an ensemble's members apart; `rewardkit.models.cached`); None: no cache.
        limit: evaluate only the first N pairs (quick runs of slow judges).
        concurrency, timeout, max_retries, api_key: for OpenAI-compatible judges.
    """

    baselines: bool = True
    also: tuple[str, ...] = ()
    batch_size: int = 32
    dtype: str = "auto"
    device_map: str | None = None
    attn_implementation: str | None = None
    trust_remote_code: bool = False
    bf16: bool | None = None
    max_length: int | None = None
    bootstrap: int = 1000
    invalid: str = "error"
    allow_untrained_head: bool = False
    judge_mode: str = "generate"
    judge_orders: str = "both"
    judge_cache: str | None = None
    score_cache: str | None = None
    limit: int | None = None
    concurrency: int = 8
    timeout: float = 120.0
    max_retries: int = 5
    api_key: str | None = None

    def __post_init__(self) -> None:
        from rewardkit.data.io import INVALID_POLICIES
        from rewardkit.models.judges.judge import MODES, ORDERS

        for name, value, allowed in (("invalid", self.invalid, INVALID_POLICIES), ("judge_mode", self.judge_mode, MODES),
                                     ("judge_orders", self.judge_orders, ORDERS)):
            if value not in allowed:
                raise RewardkitError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
        self.loading()  # checks dtype and attn_implementation
        for name in ("batch_size", "concurrency"):
            if getattr(self, name) < 1:
                raise RewardkitError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.bootstrap < 0 or (self.limit is not None and self.limit < 1) or self.timeout <= 0 or self.max_retries < 0:
            raise RewardkitError("bootstrap and max_retries must be >= 0, limit >= 1 and timeout > 0")

    def manifest(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "api_key"}

    def loading(self) -> Any:
        from rewardkit.models.loading import LoadOptions

        return LoadOptions(dtype=self.dtype, device_map=self.device_map, attn_implementation=self.attn_implementation,
                           trust_remote_code=self.trust_remote_code, bf16=self.bf16)


def open_cache(spec: str, options: EvalOptions, out: Path) -> Any:
    """The `ResponseCache` a spec's evaluation uses: a judge's (``OUT/cache.sqlite`` unless
    `judge_cache`), or the scorers' when `score_cache` is set; None otherwise."""
    from rewardkit.models.judges.cache import ResponseCache

    if spec.startswith("judge:"):
        return ResponseCache(options.judge_cache or out / "cache.sqlite")
    if options.score_cache and not spec.startswith(("tree:", "linear:")):
        from rewardkit.models.cached import open_score_cache

        return open_score_cache(options.score_cache)
    return None


def load_model(spec: str, options: EvalOptions, out: Path, cache: Any = None) -> Any:
    """The scorer or judge a spec names, with the options that apply to it and `cache`
    (`open_cache`; None opens the judge's default)."""
    from rewardkit.models.registry import load_model as load

    if cache is None and spec.startswith("judge:"):
        cache = open_cache(spec, options, out)
    return load(spec, judge_mode=options.judge_mode, judge_orders=options.judge_orders, cache=cache,
                concurrency=options.concurrency, timeout=options.timeout, max_retries=options.max_retries, api_key=options.api_key,
                batch_size=options.batch_size, max_length=options.max_length, allow_untrained_head=options.allow_untrained_head,
                **vars(options.loading()))


def run_evaluation(model: str, data: list[str], out: Path, options: EvalOptions | None = None) -> dict[str, Any]:
    """Evaluate `model` (and the baselines) on `data` and write the report to `out`.

    Returns ``{"paths": {name: path}, "results": [model result, `also` results..., baseline results...],
    "read": ReadReport}``.
    """
    from transformers.utils import logging as hf_logging

    from rewardkit.console import progress_for
    from rewardkit.evaluate.report import write_report
    from rewardkit.evaluate.run import evaluate, read_benchmark
    from rewardkit.manifest import build_manifest, write_manifest
    from rewardkit.models.distributed import world
    from rewardkit.models.registry import BASELINES, load_scorer
    from rewardkit.outputs import output_folder

    options = options or EvalOptions()
    out = Path(out)
    hf_logging.disable_progress_bar()
    rank, size = world()
    if size > 1 and model.startswith("judge:"):
        raise RewardkitError("judges do not shard across processes; run one process and scale the judge through "
                             "an OpenAI-compatible server (vLLM) with --concurrency")
    pairs, provenance, report = read_benchmark(data, invalid=options.invalid, limit=options.limit)
    if not pairs:
        raise DataError(f"no pairs to evaluate in {', '.join(data)} ({report.summary()})")
    # under torchrun every process scores its shard; only the first writes the report
    with output_folder(out, data, writes=REPORT_FILES) if rank == 0 else nullcontext(out):
        cache = open_cache(model, options, out)
        scorer = load_model(model, options, out, cache)
        # loaded before any scoring, so a bad spec fails before the model's evaluation is spent
        also = [(spec, load_model(spec, options, out)) for spec in dict.fromkeys(s for s in options.also if s != model)]
        with progress_for(f"evaluating {model}", total=2 * len(pairs)) as advance:
            main = evaluate(scorer, pairs, bootstrap=options.bootstrap, on_progress=advance)
        main.result.update(provenance)
        loaded = getattr(scorer, "load_options", None) or getattr(getattr(scorer, "backend", None), "load_options", None)
        if loaded:
            main.result["loading"] = loaded  # the precision the scores were computed in
        if cache is not None:
            main.result["cache"] = {"path": str(cache.path), "hits": cache.hits, "misses": cache.misses}
        also_results = []
        for spec, other in also:
            with progress_for(f"evaluating {spec}", total=2 * len(pairs)) as advance:
                also_results.append(evaluate(other, pairs, bootstrap=options.bootstrap, on_progress=advance).result)
        baselines = [evaluate(load_scorer(b), pairs, bootstrap=options.bootstrap).result
                     for b in BASELINES if options.baselines and b != model and b not in options.also]
        others = [*also_results, *baselines]
        for other in others:
            other.update(provenance)
        if rank != 0:
            return {"paths": {}, "results": [main.result, *others], "read": report}
        paths = write_report(main.result, main.outcomes, main.rows, out, baselines, also_results)
        write_manifest(out, build_manifest("eval", {"model": model, "data": list(data), **options.manifest(),
                                                    "loading": loaded or vars(options.loading())}, list(data),
                                           {"read": provenance["read"], "pairs": len(pairs)}))
    return {"paths": paths, "results": [main.result, *others], "read": report}
