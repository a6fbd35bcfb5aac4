"""Choose the quickstart's language-model member on development templates (issue 13): which of
`rewardkit.models.likelihood`'s four modes, and at what weight, beside the quickstart's MiniLM.

The quickstart tests on templates it never trained on, so its development split is made the same
way, from the training side only: per family, a quarter of the *training* templates (at least
one, drawn with seed 0) are set aside as development templates. The reward model trains with
the quickstart's settings on the other training templates; the causal LM (untrained) and that
reward model then score a sample of the development pairs, and each mode is added to the reward
model's rewards at shares w of the grid, in units of the reward model's spread (spec weight
w x std(model) / std(mode) on the sample, `common.member_scale`). Choices are made on the mean
of the synthetic sections (Math, Instructions, Code, Safety) on development templates, as the
quickstart reports them; its held-out test templates are not read.

    python bench/quickstart_lm.py [--lm smollm2] [--per-family 40] [--out runs/bench-quickstart-lm]

Writes bench/results/quickstart_lm.json (every mode and weight, per section).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import MEMBER_WEIGHTS, member_scale, sections, write_result  # noqa: E402

from rewardkit.data.io import load_pairs, write_pairs  # noqa: E402
from rewardkit.data.synth import FAMILIES, SynthConfig, generate_to  # noqa: E402
from rewardkit.models.likelihood import LikelihoodScorer  # noqa: E402
from rewardkit.models.protocols import pair_conversations  # noqa: E402
from rewardkit.models.registry import load_scorer  # noqa: E402
from rewardkit.quickstart import SYNTH_MAX_LENGTH, QuickstartOptions, train_config  # noqa: E402
from rewardkit.train.rm import train_reward_model  # noqa: E402



def dev_templates(seed: int = 0) -> set[str]:
    """A quarter of each family's training templates (at least one), as ``family/template``."""
    rng = random.Random(seed)
    chosen = set()
    for family in FAMILIES.values():
        names = sorted(t.name for t in family.split(False))
        chosen |= {f"{family.name}/{n}" for n in rng.sample(names, max(1, round(len(names) / 4)))}
    return chosen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lm", default="smollm2", help="the causal LM (default: %(default)s)")
    ap.add_argument("--per-family", type=int, default=40, help="development pairs sampled per family (default: %(default)s)")
    ap.add_argument("--out", default="runs/bench-quickstart-lm")
    args = ap.parse_args()
    out = Path(args.out)
    generate_to(out / "data", SynthConfig(n_train=QuickstartOptions.n, n_test=1, seed=0))  # the quickstart's training pairs
    held = dev_templates()
    pairs = load_pairs([str(out / "data" / "train.jsonl")])
    train = [p for p in pairs if p.meta["template"] not in held]
    dev_all = [p for p in pairs if p.meta["template"] in held]
    write_pairs(train, str(out / "train.jsonl"))
    by_family: dict[str, list] = {}
    for p in dev_all:
        by_family.setdefault(p.meta["family"], []).append(p)
    rng = random.Random(0)
    dev = [p for f in sorted(by_family) for p in rng.sample(by_family[f], min(args.per_family, len(by_family[f])))]
    print(f"{len(train)} training pairs, {len(dev)} development pairs sampled of {len(dev_all)} "
          f"(templates {', '.join(sorted(held))})")
    cfg = train_config(QuickstartOptions(out=out), [str(out / "train.jsonl")], SYNTH_MAX_LENGTH)  # the quickstart's settings
    summary = train_reward_model(cfg)
    convs = pair_conversations(dev)
    rm = load_scorer(cfg.out, max_length=SYNTH_MAX_LENGTH).score(convs)
    lm = LikelihoodScorer.load(f"loglik:{args.lm}", max_length=SYNTH_MAX_LENGTH)
    modes = lm.modes(convs)  # all four from two passes
    result = {"lm": args.lm, "dev_templates": sorted(held), "train_pairs": len(train), "train_seconds": summary["train_seconds"],
              "sample": {f: min(args.per_family, len(v)) for f, v in sorted(by_family.items())},
              "rm_alone": sections(rm, dev), "rm_std": statistics.pstdev(rm), "modes": {}}
    print(f"reward model alone: {_fmt(result['rm_alone'])}")
    for mode, values in modes.items():
        scale = member_scale(rm, values)  # a share w is in units of the model's spread
        row = {"std": statistics.pstdev(values) or 1.0, "alone": sections(values, dev), "weights": {}}
        print(f"{mode:12s} alone            {_fmt(row['alone'])}")
        for w in MEMBER_WEIGHTS:
            row["weights"][str(w)] = {"spec_weight": w * scale, **sections([a + w * scale * b for a, b in zip(rm, values)], dev)}
            print(f"{mode:12s} w={w:<4g} @{w * scale:<8.3g} {_fmt(row['weights'][str(w)])}")
        result["modes"][mode] = row
    print(f"-> {write_result('quickstart_lm', result)}")


def _fmt(s: dict[str, float]) -> str:
    return " ".join(f"{k} {100 * v:.1f}" for k, v in s.items() if k != "spec_weight")


if __name__ == "__main__":
    main()
