"""Curated against uncurated on a development set neither was shaped like (issue 13).

The recipe's development split is carved from the *curated* pool: its pairs went through the
curation (length balance, dedup, neighbour pairs, the mixture's weights), so a model trained on
curated data meets its own distribution there. This bench builds a neutral development set
instead: every raw pair, from the curation config's sources as they are, whose prompt is one of
the development split's prompts. Neither arm trained on those prompts (the recipe's split keeps
them out of training, and `bench/rm_recipe.py --uniform-from` leaves them out of the uncurated
draw), and nothing about these pairs was chosen by the curation. Flawed rows are skipped and
counted, as the curation reads them.

    python bench/neutral_dev.py --model NAME=FOLDER ... [--curate configs/rm-quality-curate.yaml] [--add]

Writes bench/results/neutral_dev.json: per model, all / balanced (the mean over chosen-longer and
chosen-shorter pairs) / labelled (no synthetic pairs) / per-source accuracy on the neutral set,
next to the same on the curated development split.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, write_result  # noqa: E402
from rm_recipe import pair_accuracies  # noqa: E402

from rewardkit.curate.mixture import read_mixture  # noqa: E402
from rewardkit.curate.pipeline import CurateConfig  # noqa: E402
from rewardkit.curate.report import StepReport  # noqa: E402
from rewardkit.data.io import load_pairs  # noqa: E402
from rewardkit.data.split import prompt_group  # noqa: E402
from rewardkit.errors import RewardkitError  # noqa: E402
from rewardkit.models.protocols import pair_conversations  # noqa: E402
from rewardkit.models.registry import load_scorer  # noqa: E402


def neutral_pairs(curate_config: str, dev_files: list[str]) -> tuple[list, dict]:
    """Every readable raw pair of the config's sources whose prompt is a development prompt, read
    as the curation's mixture reads them (`read_mixture`: the source's ``name`` as its tag) but
    once each: no weights, no caps."""
    config = CurateConfig.from_yaml(curate_config)
    dev_prompts = {prompt_group(p) for p in load_pairs(dev_files)}
    report = StepReport("raw")
    plain = [dataclasses.replace(s, weight=1.0, cap=None) for s in config.sources]
    pairs = [p for p in read_mixture(plain, report) if prompt_group(p) in dev_prompts]
    return pairs, {"pairs": len(pairs), "dev_prompts": len(dev_prompts), "skipped": report.details["read"]["skipped"]}


def run(models: list[tuple[str, str]], curate_config: str, dev_files: list[str], add: bool = False) -> None:
    """Score `models` on the neutral set and the curated split; with `add`, keep the models
    already in bench/results/neutral_dev.json (refused if they were measured on another set)."""
    neutral, info = neutral_pairs(curate_config, dev_files)
    curated_dev = load_pairs(dev_files)
    counts = {s: sum(p.source == s for p in neutral) for s in sorted({p.source for p in neutral})}
    print(f"neutral development set: {info['pairs']:,} raw pairs over {info['dev_prompts']:,} development prompts {counts}", flush=True)
    rows = {}
    if add and (RESULTS / "neutral_dev.json").is_file():
        earlier = json.loads((RESULTS / "neutral_dev.json").read_text())
        if earlier["neutral_set"] != {**info, "by_source": counts}:
            raise SystemExit(f"--add: the models in {RESULTS / 'neutral_dev.json'} were measured on another neutral set "
                             f"({earlier['neutral_set']}); rerun them all without --add")
        rows = earlier["models"]
    for name, folder in models:
        started = time.perf_counter()
        scorer = load_scorer(folder)
        rows[name] = {"model": folder,
                      "neutral": pair_accuracies(scorer.score(pair_conversations(neutral)), neutral),
                      "curated_dev": pair_accuracies(scorer.score(pair_conversations(curated_dev)), curated_dev),
                      "seconds": time.perf_counter() - started}
        n, c = rows[name]["neutral"], rows[name]["curated_dev"]
        print(f"{name}: neutral all {100 * n['all']:.1f} balanced {100 * n['balanced']:.1f} labelled {100 * n['labelled']:.1f} | "
              f"curated dev balanced {100 * c['balanced']:.1f} labelled {100 * c['labelled']:.1f} | "
              + " ".join(f"{k[7:]} {100 * v:.1f}" for k, v in n.items() if k.startswith("source:")), flush=True)
    print(f"-> {write_result('neutral_dev', {'neutral_set': {**info, 'by_source': counts}, 'models': rows})}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", nargs="+", required=True, metavar="NAME=FOLDER", help="reward models to compare")
    ap.add_argument("--curate", default="configs/rm-quality-curate.yaml", help="curation config whose raw sources are read")
    ap.add_argument("--dev", nargs="+", default=["runs/quality/split/dev.jsonl"], help="the curated development split")
    ap.add_argument("--add", action="store_true", help="keep the models already in the results file (the same neutral set)")
    args = ap.parse_args()
    models = [spec.partition("=")[::2] for spec in args.model]
    if not all(name and folder for name, folder in models):
        raise SystemExit(f"--model: give NAME=FOLDER, got {' '.join(args.model)}")
    try:
        run(models, args.curate, args.dev, add=args.add)
    except RewardkitError as e:  # a bad config, source, development file or model: its message, no traceback
        raise SystemExit(str(e)) from None


if __name__ == "__main__":
    main()
