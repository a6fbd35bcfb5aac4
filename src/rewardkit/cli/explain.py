"""`rewardkit explain`: how a scorer or judge decides, as a decision tree beside the human labels'."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from rewardkit.cli.options import (
    AttnOption,
    DtypeOption,
    INVALID_HELP,
    invalid_policy,
    read_input_pairs,
)


def explain(
    judge: str = typer.Option(..., "--judge", help="A reward model (folder, hub id, length...), judge:TEMPLATE:MODEL, tree:DIR or linear:DIR."),
    data: list[str] = typer.Option(..., help="Preference pairs: the human labels, and what the judge decides on."),
    out: Path = typer.Option(..., help="Folder: explain.md, explain.json, one tree PNG per decider, manifest.json."),
    attributes: Optional[Path] = typer.Option(None, help="Attribute heads (`rewardkit train attributes`): the trees also split on attribute rewards."),
    max_depth: int = typer.Option(3, min=1, max=12, help="Depth of the fitted trees."),
    min_leaf: int = typer.Option(20, min=1, help="Training rows per leaf at least."),
    held_out: float = typer.Option(0.2, min=0.0, max=0.9, help="Share of prompts held out to measure how well a tree reproduces its decider."),
    seed: int = typer.Option(0, help="Seed of the shown orders and the split."),
    batch_size: int = typer.Option(32, min=1, help="Sequences per forward pass."),
    dtype: DtypeOption = "auto",
    attn_implementation: AttnOption = None,
    invalid: str = typer.Option("error", help=INVALID_HELP),
) -> None:
    """Fit a tree to the decisions of any scorer or judge and to the human labels; compare how each decides."""
    from rewardkit.data.containers import write_text_atomic
    from rewardkit.evaluate.runner import EvalOptions, load_model
    from rewardkit.manifest import build_manifest, write_manifest
    from rewardkit.outputs import output_folder
    from rewardkit.train.tree import explain as explain_pairs
    from rewardkit.train.tree import attribute_features, plot_tree

    invalid_policy(invalid)
    options = EvalOptions(batch_size=batch_size, dtype=dtype, attn_implementation=attn_implementation)
    pairs, report = read_input_pairs(data, invalid)
    features = attribute_features(attributes)
    with output_folder(out, data, writes=("explain.md", "explain.json", "manifest.json")) as folder:
        result = explain_pairs(load_model(judge, options, folder), pairs, judge, max_depth=max_depth, min_samples_leaf=min_leaf,
                               held_out=held_out, seed=seed, features=features)
        plots = [f"tree_{k}.png" for k in range(len(result.fits))]
        for (name, fit), png in zip(result.fits.items(), plots):
            plot_tree(fit.tree, folder / png, name)
        write_text_atomic(folder / "explain.md", result.markdown(data, plots))
        write_text_atomic(folder / "explain.json", json.dumps(result.to_dict(plots), indent=1) + "\n")
        config = {"judge": judge, "data": data, "attributes": str(attributes) if attributes else None, "max_depth": max_depth, "min_leaf": min_leaf, "held_out": held_out, "seed": seed}
        write_manifest(folder, build_manifest("explain", config, data, {"read": report.to_dict(), "agreement": result.agreement}))
    print(f"{judge} agrees with the human labels on {100 * result.agreement:.1f}% of {len(pairs):,} pairs")
    print("\n".join(result.table()))
    print(f"report: {out / 'explain.md'}", file=sys.stderr)
