"""`rewardkit data`: statistics, format conversion, synthetic subtle-error pairs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from rewardkit.cli.options import INVALID_HELP, choice, invalid_policy, read_input_pairs
from rewardkit.console import console, progress_for

app = typer.Typer(help="Inspect, convert and generate preference data.", no_args_is_help=True)

FORMAT_HELP = "Row format (default: detected from the first row): rewardkit, rewardbench, trl, trl-standard, skywork, hh."
FAMILY_NAMES = ("math", "units", "instructions", "code", "safety-refuse", "safety-respond")


@app.command()
def stats(
    paths: list[str] = typer.Argument(..., help="Files (.jsonl, .jsonl.gz, .json, .parquet) or hub dataset ids."),
    tokenizer: str = typer.Option("minilm", help="Tokenizer that counts tokens: minilm, smollm2, a folder or a hub id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    format: Optional[str] = typer.Option(None, "--format", help=FORMAT_HELP),
    invalid: str = typer.Option("keep", help=INVALID_HELP),
) -> None:
    """Per-source statistics (the Skywork-Reward paper's Table 1) for any set of files."""
    from rewardkit.data.stats import TokenCounter, compute_stats
    from rewardkit.data.tokens import load_tokenizer

    invalid_policy(invalid)
    counter = TokenCounter.for_tokenizer(load_tokenizer(tokenizer))
    with progress_for("reading pairs", enabled=not as_json) as advance:
        report = compute_stats(paths, counter, tokenizer_name=tokenizer, format=format, invalid=invalid, on_pairs=advance)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    _print_stats_table(report)


def _print_stats_table(report) -> None:  # noqa: ANN001 - StatsReport, imported lazily
    from rich.table import Table

    # Headers wrap onto two lines and source names fold rather than vanish, so the table stays
    # whole at 80 columns and in a pipe (rich assumes 80 there); --json has everything unwrapped.
    table = Table(title=f"Preference data statistics (tokens: {report.tokenizer})")
    table.add_column("Source", overflow="fold", min_width=12, ratio=1)
    for col in ("Pairs", "Avg.\nturns", "Avg. prompt\ntokens", "Avg. resp.\ntokens", "Chosen\nlonger"):
        table.add_column(col, justify="right", no_wrap=True)
    rows = [report.sources[k].row() for k in sorted(report.sources)] + [report.total.row()]
    for i, r in enumerate(rows):
        table.add_row(
            r["source"], f"{r['pairs']:,}", f"{r['avg_turns']:.1f}", f"{r['avg_prompt_tokens']:.1f}",
            f"{r['avg_response_tokens']:.1f}", f"{100 * r['chosen_longer']:.1f}%",
            end_section=i == len(rows) - 2,
        )
    console().print(table)
    read = report.read
    notes = [f"{f.path}: {f.rows:,} rows, format {f.format}" for f in read.files]
    if read.flagged:
        notes.append("flagged (kept, counted above): " + ", ".join(f"{k} {v}" for k, v in sorted(read.flagged.items())))
    if read.skipped:
        notes.append("skipped (not counted above): " + ", ".join(f"{k} {v}" for k, v in sorted(read.skipped.items())))
    for note in notes:
        console().print(f"  {note}", highlight=False)


@app.command()
def convert(
    src: str = typer.Argument(..., metavar="IN", help="Input file or hub dataset id."),
    dst: str = typer.Argument(..., metavar="OUT", help="Output file; the container comes from its suffix (.jsonl, .jsonl.gz, .json, .parquet)."),
    format: Optional[str] = typer.Option(None, "--format", help=FORMAT_HELP),
    to: str = typer.Option("rewardkit", "--to", help="Output row format: rewardkit, rewardbench, trl, trl-standard, skywork, hh."),
    invalid: str = typer.Option("error", help=INVALID_HELP),
    lossy: str = typer.Option("warn", "--lossy", help="When the output format has no place for a field (TRL rows hold no id, "
                              "subset, margin, scores or meta): warn (drop it, counted per field) or error (refuse)."),
) -> None:
    """Convert preference data between formats and containers."""
    from collections import Counter

    from rewardkit.data.containers import output_container
    from rewardkit.data.formats import FORMATS
    from rewardkit.data.io import LOSSY_POLICIES, ReadReport, read_pairs, write_pairs
    from rewardkit.outputs import check_output_file

    invalid_policy(invalid)
    choice(lossy, LOSSY_POLICIES, "--lossy")
    choice(to, tuple(FORMATS), "--to")
    choice(format, tuple(FORMATS), "--format")
    output_container(dst)
    check_output_file(dst, [src])
    report = ReadReport()
    dropped: Counter[str] = Counter()
    with progress_for("converting", enabled=True) as advance:
        def counted():
            for pair in read_pairs(src, format=format, invalid=invalid, report=report):
                advance(1)
                yield pair

        n = write_pairs(counted(), dst, format=to, lossy=lossy, dropped=dropped)
    f = report.files[0]
    print(f"{report.summary()}; format {f.format}", file=sys.stderr)
    if dropped:
        lost = ", ".join(f"{field} ({count:,} pairs)" for field, count in sorted(dropped.items()))
        print(f"warning: {to} rows have no place for: {lost}; dropped (--lossy error refuses; --to rewardkit keeps every field)",
              file=sys.stderr)
    print(f"{src} -> {dst} ({to}): {n:,} pairs written", file=sys.stderr)


@app.command()
def split(
    data: list[str] = typer.Option(..., "--data", help="Preference files (several allowed)."),
    out: Path = typer.Option(..., "--out", help="Folder for train.jsonl, dev.jsonl and manifest.json."),
    dev: float = typer.Option(0.05, "--dev", min=0.0, max=0.9, help="Share of each source's prompts held out (all their pairs, in every source)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split; the same seed gives the same files."),
    invalid: str = typer.Option("error", help=INVALID_HELP),
) -> None:
    """Carve a development split by prompt (drawn per source; a prompt in two sources is on one side) from training data.

    Pairs whose rejected answer is the chosen answer of a pair on the other side (the curation's
    neighbour pairs, `meta.neighbor_answer_from`) would let a development answer be trained on:
    they go to left_out.jsonl instead, counted in the manifest."""
    from collections import Counter

    from rewardkit.data.io import write_pairs
    from rewardkit.data.split import crossing_answers, split_by_prompt
    from rewardkit.manifest import build_manifest, write_manifest
    from rewardkit.outputs import output_folder

    invalid_policy(invalid, ("error", "skip"))
    pairs, report = read_input_pairs(data, invalid)
    train, held, left_out = crossing_answers(*split_by_prompt(pairs, dev, seed))
    with output_folder(out, data, writes=("train.jsonl", "dev.jsonl", "left_out.jsonl", "manifest.json")) as folder:
        write_pairs(train, str(folder / "train.jsonl"))
        write_pairs(held, str(folder / "dev.jsonl"))
        write_pairs(left_out, str(folder / "left_out.jsonl"))
        counts = {name: dict(Counter(p.source for p in part)) for name, part in (("train", train), ("dev", held), ("left_out", left_out))}
        write_manifest(folder, build_manifest("data split", {"data": data, "dev": dev, "seed": seed, "invalid": invalid}, data,
                                              {"read": report.to_dict(), "pairs": counts}))
    print(f"train {len(train):,} pairs, dev {len(held):,} pairs -> {out}", file=sys.stderr)
    if left_out:
        print(f"{len(left_out):,} pairs left out of both (left_out.jsonl): their rejected answer is the chosen answer of a pair "
              "on the other side", file=sys.stderr)


@app.command()
def synth(
    out: Path = typer.Option(..., "--out", help="Folder for train.jsonl, test.jsonl and manifest.json."),
    n: int = typer.Option(2000, "--n", min=1, help="Training pairs."),
    n_test: Optional[int] = typer.Option(None, "--n-test", min=1, help="Test pairs (default: n // 4)."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives the same files."),
    families: Optional[list[str]] = typer.Option(None, "--family", help="Only these families (repeatable): " + ", ".join(FAMILY_NAMES)
                                                 + "; the subset names (synth-math, ...) work too."),
    code_twins: bool = typer.Option(False, "--code-twins", help="Add the code family's boundary twins to its training templates: "
                                    "the same two code versions under prompts stating opposite boundaries (inclusive / excluded, at "
                                    "least / more than), so no surface cue of the code predicts the label."),
) -> None:
    """Generate preference pairs with subtle errors; the test split holds out whole templates."""
    from rewardkit.data.synth import SynthConfig, generate_to
    from rewardkit.outputs import output_folder

    names = tuple(dict.fromkeys(f.removeprefix("synth-") for f in families)) if families else None
    for name in names or ():
        choice(name, FAMILY_NAMES, "--family")
    config = SynthConfig(n_train=n, n_test=n_test if n_test is not None else max(1, n // 4), seed=seed, families=names,
                         code_twins=code_twins)
    with output_folder(out, writes=("train.jsonl", "test.jsonl", "manifest.json")):
        counts = generate_to(out, config)
    for split, c in counts.items():
        print(f"{out / (split + '.jsonl')}: {c['pairs']:,} pairs, " + ", ".join(f"{k} {v}" for k, v in sorted(c["subsets"].items())), file=sys.stderr)
