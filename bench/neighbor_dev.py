"""Development pairs of LLMBar's adversarial kind for the recipe's split (issue 13), made without
touching its training side or rb-open: the development prompts' own chosen answers against good
answers to a similar but different instruction.

The recipe's split keeps almost none (2 of 1,416): a neighbour pair's rejected answer is another
prompt's chosen one, and nearly every such donor is a training prompt, whose answer the model
has seen. Here the donors come from the raw pool instead, restricted to answers the model never
trained on: every pair of the recipe's sources (the curation config's, decontaminated against
rb-open as the recipe is) whose chosen answer appears nowhere in the training file, as chosen or
rejected. The curation's own neighbours step (`rewardkit.curate.neighbors`, the recipe's
similarity bounds) pairs each in-scope development pair with them; donors are out of scope, so
only development prompts get pairs. The result is checked: no rejected answer of it is a
training text, and every prompt is a development prompt.

    python bench/neighbor_dev.py [--split runs/quality/split] [--curate configs/rm-quality-curate.yaml] [--per-prompt 10]

Writes SPLIT/dev-neighbors.jsonl and its manifest. `bench/lm_weight.py --neighbors` reads it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RB_OPEN, require_shared  # noqa: E402

from rewardkit.curate.neighbors import SUBSET, NeighborsStep  # noqa: E402
from rewardkit.curate.pipeline import CurateConfig, run_curation  # noqa: E402
from rewardkit.curate.report import StepReport  # noqa: E402
from rewardkit.data.io import load_pairs, write_pairs  # noqa: E402
from rewardkit.data.split import prompt_group  # noqa: E402
from rewardkit.data.containers import write_text_atomic  # noqa: E402
from rewardkit.manifest import build_manifest  # noqa: E402

POOL = "pool"  # the source name donors carry (out of the step's scope)


def text_key(text: str) -> str:
    return " ".join(text.split())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="runs/quality/split", help="folder with train.jsonl and dev.jsonl (default: %(default)s)")
    ap.add_argument("--curate", default="configs/rm-quality-curate.yaml", help="the curation config whose sources and neighbours "
                    "settings to use (default: %(default)s)")
    ap.add_argument("--per-prompt", type=int, default=10, help="neighbour pairs per development instruction at most (default: %(default)s)")
    args = ap.parse_args()
    require_shared()
    split = Path(args.split)
    config = yaml.safe_load(Path(args.curate).read_text())
    settings = next(s["neighbors"] for s in config["steps"] if "neighbors" in s)
    scope = settings.get("sources")
    train = load_pairs([str(split / "train.jsonl")])
    dev = load_pairs([str(split / "dev.jsonl")])
    trained = {text_key(t) for p in train for t in (p.chosen, p.rejected)}
    train_prompts = {prompt_group(p) for p in train}
    with tempfile.TemporaryDirectory() as tmp:  # the raw sources, decontaminated against rb-open as the recipe is
        pool_config = CurateConfig.from_dict({"seed": 0, "sources": config["sources"],
                                              "steps": [{"decontaminate": {"against": [str(RB_OPEN)], "ngram": 8}}]})
        run_curation(pool_config, Path(tmp) / "pool")
        raw = load_pairs([str(Path(tmp) / "pool" / "curated.jsonl")])
    donors = [dataclasses.replace(p, source=POOL, id=f"pool-{p.id}") for p in raw
              if len(p.prompt) == 1 and text_key(p.chosen) not in trained]
    # a prompt can sit in dev under one source and in training under another (the split is by
    # source and prompt): such targets, and any whose chosen answer was trained on, are left out
    targets = [p for p in dev if p.subset != SUBSET and (scope is None or p.source in scope)
               and prompt_group(p) not in train_prompts and text_key(p.chosen) not in trained]
    step = NeighborsStep(fraction=1.0, per_prompt=args.per_prompt, min_similarity=settings.get("min_similarity", 0.1),
                         max_similarity=settings.get("max_similarity", 0.8), sources=scope, seed=0)
    report = StepReport(step.name)
    made = [p for p in step.apply(targets + donors, report) if p.subset == SUBSET]
    dev_prompts = {prompt_group(p) for p in dev}
    assert all(text_key(p.rejected) not in trained and text_key(p.chosen) not in trained for p in made), "an answer was trained on"
    assert all(prompt_group(p) in dev_prompts and prompt_group(p) not in train_prompts for p in made)
    out = split / "dev-neighbors.jsonl"
    write_pairs(made, str(out))
    counts = {s: sum(p.source == s for p in made) for s in sorted({p.source for p in made})}
    manifest = build_manifest("bench/neighbor_dev.py", vars(args), [str(split / "train.jsonl"), str(split / "dev.jsonl")],
                              {"pairs": len(made), "by_source": counts, "targets": len(targets), "donors": len(donors),
                               "instructions": report.details.get("instructions")})
    write_text_atomic(split / "dev-neighbors.manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")
    longer = sum(len(p.rejected) > len(p.chosen) for p in made)
    print(f"{len(made)} development neighbour pairs ({counts}; rejected longer in {longer}) from {len(targets)} development pairs "
          f"and {len(donors):,} untrained donor answers -> {out}")


if __name__ == "__main__":
    main()
