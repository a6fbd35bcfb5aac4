"""`rewardkit explain`: how a scorer or judge decides, as a decision tree beside the human labels'."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from rewardkit.cli.options import ATTN_HELP, DTYPE_HELP, INVALID_HELP, invalid_policy, read_input_pairs


def explain(
    judge: str = typer.Option(..., "--judge", help="A reward model (folder, hub id, length...), judge:TEMPLATE:MODEL or tree:DIR."),
    data: list[str] = typer.Option(..., help="Preference pairs: the human labels, and what the judge decides on."),
    out: Path = typer.Option(..., help="Folder: explain.md, explain.json, one tree PNG per decider, manifest.json."),
    max_depth: int = typer.Option(3, min=1, max=12, help="Depth of the fitted trees."),
    min_leaf: int = typer.Option(20, min=1, help="Training rows per leaf at least."),
    held_out: float = typer.Option(0.2, min=0.0, max=0.9, help="Share of prompts held out to measure how well a tree reproduces its decider."),
    seed: int = typer.Option(0, help="Seed of the shown orders and the split."),
    batch_size: int = typer.Option(32, min=1, help="Sequences per forward pass."),
    dtype: str = typer.Option("auto", "--dtype", help=DTYPE_HELP),
    attn_implementation: Optional[str] = typer.Option(None, "--attn-implementation", help=ATTN_HELP),
    invalid: str = typer.Option("error", help=INVALID_HELP),
) -> None:
    """Fit a tree to the decisions of any scorer or judge and to the human labels; compare how each decides."""
    from rewardkit.data.containers import write_text_atomic
    from rewardkit.evaluate.runner import EvalOptions, load_model
    from rewardkit.manifest import build_manifest, write_manifest
    from rewardkit.models.protocols import ScorerJudge
    from rewardkit.outputs import output_folder
    from rewardkit.train.tree import fit_decisions, plot_tree

    invalid_policy(invalid)
    options = EvalOptions(batch_size=batch_size, dtype=dtype, attn_implementation=attn_implementation)
    pairs, report = read_input_pairs(data, invalid)
    with output_folder(out, data, writes=("explain.md", "explain.json", "manifest.json")) as folder:
        model = load_model(judge, options, folder)
        decider = model if hasattr(model, "judge") else ScorerJudge(model)
        verdicts = decider.judge([(p.prompt, p.chosen, p.rejected) for p in pairs])
        prefers = [v.winner == "first" for v in verdicts]
        fits = {"human labels": fit_decisions(pairs, [True] * len(pairs), max_depth=max_depth, min_samples_leaf=min_leaf,
                                              held_out=held_out, seed=seed),
                judge: fit_decisions(pairs, prefers, max_depth=max_depth, min_samples_leaf=min_leaf, held_out=held_out, seed=seed)}
        agreement = sum(prefers) / len(pairs)
        rows, parts = {}, [f"# How {judge} decides, beside the human labels", "",
                           f"{len(pairs):,} pairs from {', '.join(data)}. {judge} agrees with the human labels on "
                           f"{100 * agreement:.1f}% of them (ties count as disagreement).", "",
                           "| decider | tree reproduces it (held out) | length importance | longer wins agrees with it |",
                           "|---|---:|---:|---:|"]
        for k, (name, fit) in enumerate(fits.items()):
            r = fit.report
            png = f"tree_{k}.png"
            plot_tree(fit.tree, folder / png, name)
            rows[name] = {**r, "tree": fit.tree.to_dict(), "plot": png}
            fmt = lambda v: "-" if v is None else f"{100 * v:.1f}%"  # noqa: E731
            parts.insert(len(parts), f"| {name} | {fmt(r['held_out_accuracy'])} | {r['importances']['length'] + r['importances']['log_length']:.2f} "
                                     f"| {fmt(r['longer_wins_held_out'])} |")
        for k, (name, fit) in enumerate(fits.items()):
            parts += ["", f"## {name}", "", f"![{name}](tree_{k}.png)", "", "```", fit.tree.text().rstrip(), "```"]
        write_text_atomic(folder / "explain.md", "\n".join(parts) + "\n")
        write_text_atomic(folder / "explain.json", json.dumps({"judge": judge, "agreement_with_labels": agreement, "deciders": rows},
                                                             indent=1) + "\n")
        config = {"judge": judge, "data": data, "max_depth": max_depth, "min_leaf": min_leaf, "held_out": held_out, "seed": seed}
        write_manifest(folder, build_manifest("explain", config, data, {"read": report.to_dict(), "agreement": agreement}))
    print("\n".join(parts[:6 + len(fits)]))
    print(f"report: {out / 'explain.md'}", file=sys.stderr)
