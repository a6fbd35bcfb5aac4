"""`rewardkit curate`: the declarative pipeline (``rewardkit curate CONFIG.yaml --out DIR``) and
each step as its own subcommand over ``--data`` files, with the same report and manifest."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer

from rewardkit.console import progress_for

app = typer.Typer(
    help="Curate preference data: mixture, dedup, decontaminate, select, consistency, balance, neighbors.\n\n"
    "rewardkit curate CONFIG.yaml --out DIR runs a whole pipeline; each step is also a subcommand.",
    no_args_is_help=True,
)

SUBCOMMANDS = ("run", "mixture", "dedup", "decontaminate", "select", "consistency", "balance", "neighbors")
DATA_HELP = "Input files (any format rewardkit reads); each file is one source of the mixture."
OUT_HELP = "Output folder: curated.jsonl, report.md, report.json, mixture.png, manifest.json."
STATS_HELP = "Tokenizer for the before/after statistics (minilm, a folder, a hub id), or 'words'."


def _finish(report: dict[str, Any], out: Path) -> None:
    for s in report["steps"]:
        why = ", ".join(f"{k} {v:,}" for k, v in s["removed_by_reason"].items()) or "nothing removed"
        print(f"{s['step']:>14}: {s['pairs_in']:,} -> {s['pairs_out']:,} ({why})", file=sys.stderr)
    print(f"{report['pairs_in']:,} pairs in, {report['pairs_out']:,} out -> {report['output']}; report: {out / 'report.md'}",
          file=sys.stderr)


def _run(config: Any, out: Path, config_path: str | None = None) -> None:
    from rewardkit.curate.pipeline import run_curation
    from rewardkit.outputs import output_folder

    inputs = [s.path for s in config.sources] + [p for step in config.steps for p in getattr(step, "against", None) or []]
    with output_folder(out, inputs, writes=(config.output, "report.md", "report.json", "manifest.json")):
        with progress_for("curating (pairs written)") as advance:
            report = run_curation(config, out, on_pair=advance, config_path=config_path)
    _finish(report, out)


INVALID_HELP = ("Rows that are not valid pairs: error (stop, naming file, line and field) or skip (remove, counted "
                "by reason in the report).")


def _single(data: list[str], out: Path, step: str, settings: dict[str, Any], *, stats_tokenizer: str, invalid: str,
            format: str | None = None, sources: dict[str, Any] | None = None, seed: int = 0) -> None:
    from rewardkit.cli.options import invalid_policy
    from rewardkit.curate.mixture import Source
    from rewardkit.curate.pipeline import CurateConfig, build_step

    invalid_policy(invalid, ("error", "skip"))
    steps = [build_step(step, {k: v for k, v in settings.items() if v is not None})] if step != "mixture" else []
    src = [Source(path=p, format=format, **(sources or {})) for p in data]
    _run(CurateConfig(sources=src, steps=steps, stats_tokenizer=stats_tokenizer, seed=seed, invalid=invalid), out)


@app.command("run")
def run_config(
    config: Path = typer.Argument(..., metavar="CONFIG.yaml", help="Pipeline config (see configs/curate-skywork-style.yaml)."),
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
) -> None:
    """Run a whole pipeline from a YAML config (also: rewardkit curate CONFIG.yaml --out DIR)."""
    from rewardkit.curate.pipeline import CurateConfig

    _run(CurateConfig.from_yaml(config), out, str(config))


@app.command()
def mixture(
    data: list[str] = typer.Option(..., "--data", help=DATA_HELP),
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    cap: Optional[int] = typer.Option(None, "--cap", min=0, help="At most this many pairs per source (uniform sample)."),
    weight: float = typer.Option(1.0, "--weight", min=0.0, help="Sampling weight per source: <1 subsamples, >1 repeats."),
    seed: int = typer.Option(0, "--seed"),
    format: Optional[str] = typer.Option(None, "--format", help="Row format (default: detected)."),
    stats_tokenizer: str = typer.Option("minilm", "--stats-tokenizer", help=STATS_HELP),
    invalid: str = typer.Option("error", "--invalid", help=INVALID_HELP),
) -> None:
    """Mix sources with per-source caps and weights; invalid rows are removed and counted."""
    _single(data, out, "mixture", {}, stats_tokenizer=stats_tokenizer, invalid=invalid, format=format, sources={"cap": cap, "weight": weight}, seed=seed)


@app.command()
def dedup(
    data: list[str] = typer.Option(..., "--data", help=DATA_HELP),
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    threshold: float = typer.Option(0.8, "--threshold", min=0.0, max=1.0, help="Near-duplicate prompt Jaccard threshold (MinHash LSH); 0 turns it off."),
    exact: bool = typer.Option(True, "--exact/--no-exact", help="Remove exact duplicate pairs."),
    shingle: int = typer.Option(3, "--shingle", min=1, help="Words per shingle."),
    stats_tokenizer: str = typer.Option("minilm", "--stats-tokenizer", help=STATS_HELP),
    invalid: str = typer.Option("error", "--invalid", help=INVALID_HELP),
) -> None:
    """Remove exact duplicate pairs and pairs whose prompt nearly duplicates an earlier prompt."""
    _single(data, out, "dedup", {"threshold": threshold or None, "exact": exact, "shingle": shingle}, stats_tokenizer=stats_tokenizer, invalid=invalid)


@app.command()
def decontaminate(
    data: list[str] = typer.Option(..., "--data", help=DATA_HELP),
    against: list[str] = typer.Option(..., "--against", help="Benchmark files whose prompts must not leak into training."),
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    ngram: int = typer.Option(8, "--ngram", min=1, help="Word n-gram size (8: the paper's 'more than 7-gram')."),
    sample: int = typer.Option(25, "--sample", min=0, help="Matches kept in the report for inspection."),
    stats_tokenizer: str = typer.Option("minilm", "--stats-tokenizer", help=STATS_HELP),
    invalid: str = typer.Option("error", "--invalid", help=INVALID_HELP),
) -> None:
    """Remove pairs whose prompt shares an n-gram with, or equals, a benchmark prompt (normalised)."""
    _single(data, out, "decontaminate", {"against": against, "ngram": ngram, "sample": sample}, stats_tokenizer=stats_tokenizer, invalid=invalid)


def _offsets(values: list[str]) -> dict[str, float]:
    out = {}
    for v in values:
        key, sep, num = v.rpartition("=")
        try:
            if not sep or not key:
                raise ValueError
            out[key] = float(num)
        except ValueError:
            raise typer.BadParameter(f"{v!r}: expected KEY=NUMBER, e.g. magpie-air=0.1") from None
    return out


@app.command()
def select(
    data: list[str] = typer.Option(..., "--data", help=DATA_HELP),
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    score: str = typer.Option(..., "--score", help="Score name: ranks by scores.NAME (and stores the mapped value there)."),
    from_field: Optional[str] = typer.Option(None, "--from-field", help="Take the score from this field, e.g. meta.judge_preference."),
    center: Optional[float] = typer.Option(None, "--center", help="Rank by |value - center| (1.5 turns a 1..2 preference into confidence)."),
    top_k: Optional[int] = typer.Option(None, "--top-k", min=0, help="Keep this many pairs per category."),
    top_fraction: Optional[float] = typer.Option(None, "--top-fraction", min=0.0, max=1.0, help="Keep this fraction per category."),
    offset: list[str] = typer.Option([], "--offset", help="KEY=NUMBER subtracted from the score of pairs whose offset field is KEY (repeatable)."),
    offset_field: str = typer.Option("source", "--offset-field", help="Field the offsets are keyed on (source, meta.chosen_model, ...)."),
    tagger: str = typer.Option("rewardkit.curate.categories:tag_category", "--tagger", help="module:function giving a pair's category."),
    source: list[str] = typer.Option([], "--source", help="Only select within these sources (others pass); repeatable."),
    missing: str = typer.Option("error", "--missing", help="Pairs without the score: error, drop or keep."),
    stats_tokenizer: str = typer.Option("minilm", "--stats-tokenizer", help=STATS_HELP),
    invalid: str = typer.Option("error", "--invalid", help=INVALID_HELP),
) -> None:
    """Keep the top pairs by an external score within each category (math, code, other)."""
    _single(data, out, "select", {
        "score": score, "from_field": from_field, "center": center, "top_k": top_k, "top_fraction": top_fraction,
        "offsets": _offsets(offset), "offset_field": offset_field, "tagger": tagger, "sources": source or None, "missing": missing,
    }, stats_tokenizer=stats_tokenizer, invalid=invalid)


@app.command()
def consistency(
    data: list[str] = typer.Option(..., "--data", help=DATA_HELP),
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    model: str = typer.Option(..., "--model", help="Reward model: a folder (e.g. from rewardkit train rm), hub id or registry name."),
    margin: Optional[float] = typer.Option(None, "--margin", help="Keep pairs with RM(chosen) - RM(rejected) > margin (default 0)."),
    drop_fraction: Optional[float] = typer.Option(None, "--drop-fraction", min=0.0, max=1.0,
                                                  help="Instead of a margin: drop this fraction of the scored pairs, those with the lowest difference."),
    source: list[str] = typer.Option([], "--source", help="Only filter these sources (others pass); repeatable."),
    batch_size: int = typer.Option(32, "--batch-size", min=1),
    max_length: int = typer.Option(512, "--max-length", min=8),
    bf16: Optional[bool] = typer.Option(None, "--bf16/--no-bf16", help="bf16 autocast for scoring (default: auto, as --dtype auto in score)."),
    stats_tokenizer: str = typer.Option("minilm", "--stats-tokenizer", help=STATS_HELP),
    invalid: str = typer.Option("error", "--invalid", help=INVALID_HELP),
) -> None:
    """Keep pairs a reward model agrees with (to train that model on the other sources, or per fold, use a config)."""
    _single(data, out, "consistency", {"model": model, "margin": margin, "drop_fraction": drop_fraction, "sources": source or None, "batch_size": batch_size,
                                       "max_length": max_length, "bf16": bf16}, stats_tokenizer=stats_tokenizer, invalid=invalid)


@app.command()
def balance(
    data: list[str] = typer.Option(..., "--data", help=DATA_HELP),
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    ratio: float = typer.Option(1.0, "--ratio", min=1.0, help="Most the larger side (chosen longer or shorter) may outnumber the smaller."),
    unit: str = typer.Option("chars", "--unit", help="Length in chars or words."),
    source: list[str] = typer.Option([], "--source", help="Only balance these sources; repeatable."),
    seed: int = typer.Option(0, "--seed"),
    stats_tokenizer: str = typer.Option("minilm", "--stats-tokenizer", help=STATS_HELP),
    invalid: str = typer.Option("error", "--invalid", help=INVALID_HELP),
) -> None:
    """Balance pairs whose chosen answer is longer against those where it is shorter, per source."""
    _single(data, out, "balance", {"ratio": ratio, "unit": unit, "sources": source or None, "seed": seed}, stats_tokenizer=stats_tokenizer, invalid=invalid)


@app.command()
def neighbors(
    data: list[str] = typer.Option(..., "--data", help=DATA_HELP),
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    fraction: float = typer.Option(0.2, "--fraction", min=0.0, max=1.0, help="Share of each instruction's pairs that get a neighbour pair."),
    per_prompt: int = typer.Option(2, "--per-prompt", min=1, help="At most this many neighbour pairs per instruction."),
    min_similarity: float = typer.Option(0.1, "--min-similarity", min=0.0, max=1.0, help="TF-IDF cosine a neighbour instruction needs at least."),
    max_similarity: float = typer.Option(0.8, "--max-similarity", min=0.0, max=1.0, help="...and stays below (above: a paraphrase)."),
    source: list[str] = typer.Option([], "--source", help="Only these sources get neighbour pairs; repeatable."),
    seed: int = typer.Option(0, "--seed"),
    split_dev: Optional[float] = typer.Option(None, "--split-dev", min=0.0, max=1.0, help="The --dev of the `data split` that "
                                              "follows: draw each neighbour from its target's side, so none crosses the split."),
    split_seed: int = typer.Option(0, "--split-seed", help="...and that split's --seed."),
    stats_tokenizer: str = typer.Option("minilm", "--stats-tokenizer", help=STATS_HELP),
    invalid: str = typer.Option("error", "--invalid", help=INVALID_HELP),
) -> None:
    """Add pairs whose rejected answer answers a similar but different instruction (LLMBar's adversarial pattern)."""
    _single(data, out, "neighbors", {"fraction": fraction, "per_prompt": per_prompt, "min_similarity": min_similarity,
                                     "max_similarity": max_similarity, "sources": source or None, "seed": seed,
                                     "split_dev": split_dev, "split_seed": split_seed},
            stats_tokenizer=stats_tokenizer, invalid=invalid)
