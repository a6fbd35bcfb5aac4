"""Does the quickstart's MiniLM learn the boundary rule from twin code tasks? (issue 13)

The quickstart's Code section is decided by two unseen code templates, and the MiniLM trained on
the hand-written code tasks picks one side of each by a surface cue of the diffs it trained on.
`rewardkit.data.synth.boundaries` adds twins: the same two code versions under prompts stating
opposite boundaries, so only the prompt and the code read together predict the label. This bench
trains the quickstart's settings with and without the twins and compares them on *development
templates* set aside from the training side (the held-out test templates are not read):

- the code templates `count_pages`, `evens_between`, `factorial` (the development code templates
  of `bench/quickstart_lm.py`), and both twins of one range body (`cubes`) and one threshold body
  (`total`);
- one or two templates of each other family, as `bench/quickstart_lm.py` sets aside, to see that
  the other sections do not pay for it.

    python bench/quickstart_code.py [--seeds 0 1] [--out runs/bench-quickstart-code]
    python bench/quickstart_code.py --lm loglik-mean:smollm2 pmi-mean:smollm2   # untrained likelihoods, no training

Writes bench/results/quickstart_code.json (per arm and seed: sections, per-template accuracy).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, sections, write_result  # noqa: E402

from rewardkit.data.io import load_pairs, write_pairs  # noqa: E402
from rewardkit.data.synth import SynthConfig, generate_split, generate_to  # noqa: E402
from rewardkit.data.synth import code as code_family  # noqa: E402
from rewardkit.errors import RewardkitError  # noqa: E402
from rewardkit.evaluate.metrics import pair_outcome  # noqa: E402
from rewardkit.models.protocols import pair_conversations, pair_rewards  # noqa: E402
from rewardkit.models.registry import load_scorer  # noqa: E402
from rewardkit.quickstart import SYNTH_MAX_LENGTH, QuickstartOptions, train_config  # noqa: E402
from rewardkit.train.rm import train_reward_model  # noqa: E402

TWIN_DEV = ("cubes_inclusive", "cubes_exclusive", "total_at_least", "total_more_than", "total_at_most", "total_less_than")
DEV = {f"code/{t}" for t in ("count_pages", "evens_between", "factorial", *TWIN_DEV)} | {
    "instructions/json-only", "instructions/language", "math/shopping", "safety-refuse/harassment",
    "safety-respond/photography", "units/cm-inches", "units/km-miles"}
HAND_WRITTEN = {t.name for t in code_family.TASKS}
PER_TEMPLATE = 30


def dev_pairs() -> list:
    """Up to PER_TEMPLATE pairs of every development template, from a generation with another seed."""
    pairs, _ = generate_split(SynthConfig(n_train=6000, n_test=1, seed=1, code_twins=True), "train")
    by_template = defaultdict(list)
    for p in pairs:
        if p.meta["template"] in DEV and len(by_template[p.meta["template"]]) < PER_TEMPLATE:
            by_template[p.meta["template"]].append(p)
    return [p for t in sorted(by_template) for p in by_template[t]]


def run_arm(name: str, seed: int, out: Path, dev: list, steps: int) -> dict:
    n = QuickstartOptions.n * steps // QuickstartOptions.steps  # the quickstart's pairs per step
    generate_to(out / "data", SynthConfig(n_train=n, n_test=1, seed=seed, code_twins=name == "twins"))
    train = [p for p in load_pairs([str(out / "data" / "train.jsonl")]) if p.meta["template"] not in DEV]
    write_pairs(train, str(out / "train.jsonl"))
    options = QuickstartOptions(out=out, seed=seed, steps=steps, n=n)  # a finished model with the same settings is reused
    cfg = train_config(options, [str(out / "train.jsonl")], SYNTH_MAX_LENGTH)
    summary = train_reward_model(cfg)
    rewards = load_scorer(cfg.out, max_length=SYNTH_MAX_LENGTH).score(pair_conversations(dev))
    code = [p for p in dev if p.meta["family"] == "code"]
    row = {"arm": name, "seed": seed, "steps": steps, "train_pairs": len(train), "train_seconds": summary["train_seconds"],
           "code_templates_trained": len({p.meta["template"] for p in train if p.meta["family"] == "code"}),
           "sections": sections(rewards, dev), **by_template(rewards, dev), "dev_code_pairs": len(code)}
    print(f"{name} seed {seed} steps {steps}: " + " ".join(f"{k} {100 * v:.1f}" for k, v in row["sections"].items())
          + f" | code hand-written {100 * row['code_hand_written']:.1f} twins {100 * row['code_twins']:.1f}", flush=True)
    return row


def lm_probe(spec: str, dev: list) -> dict:
    """An untrained likelihood reward (`spec`, e.g. ``loglik-mean:smollm2``) on the development code
    pairs: does a causal LM read the prompt's boundary, or prefer one code version whatever the
    prompt asks? On a twin pair of templates (the same two versions, labels swapped) a prompt-blind
    scorer reads p and 1 - p."""
    code = [p for p in dev if p.meta["family"] == "code"]
    started = time.perf_counter()
    rewards = load_scorer(spec).score(pair_conversations(code))
    row = {"spec": spec, "seconds": time.perf_counter() - started, **by_template(rewards, code)}
    print(f"{spec}: code hand-written {100 * row['code_hand_written']:.1f} twins {100 * row['code_twins']:.1f} | "
          + " ".join(f"{t.split('/')[1]} {100 * v:.0f}" for t, v in row["per_template"].items()), flush=True)
    return row


def by_template(rewards: list[float], pairs: list) -> dict:
    """Accuracy per development template, and over the hand-written and the twin code templates,
    from rewards in `pair_conversations`' order."""
    outcomes = defaultdict(list)
    for p, (c, r) in zip(pairs, pair_rewards(rewards)):
        outcomes[p.meta["template"]].append(pair_outcome(c, r))

    def mean(templates: list[str]) -> float:
        wins = [w for t in templates for w in outcomes.get(t, [])]
        return sum(wins) / len(wins) if wins else float("nan")

    return {"code_hand_written": mean([t for t in outcomes if t.startswith("code/") and t.split("/")[1] in HAND_WRITTEN]),
            "code_twins": mean([f"code/{t}" for t in TWIN_DEV]),
            "per_template": {t: sum(v) / len(v) for t, v in sorted(outcomes.items())}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--arms", nargs="+", default=["twins", "hand-written"], choices=["twins", "hand-written"])
    ap.add_argument("--steps", type=int, default=QuickstartOptions.steps, help="training steps, with the quickstart's pairs "
                    "per step (8 pairs a step: 2,000 pairs for 250)")
    ap.add_argument("--lm", nargs="*", default=[], metavar="SPEC", help="instead of training: score the development code "
                    "pairs with these likelihood rewards (e.g. loglik-mean:smollm2 pmi-mean:smollm2)")
    ap.add_argument("--out", default="runs/bench-quickstart-code")
    args = ap.parse_args()
    dev = dev_pairs()
    print(f"{len(dev)} development pairs over {len({p.meta['template'] for p in dev})} templates", flush=True)
    path = RESULTS / "quickstart_code.json"  # rows of other runs stay (other arms, seeds, steps, likelihoods)
    earlier = json.loads(path.read_text()) if path.exists() else {}
    if args.lm:
        try:
            probed = {s: lm_probe(s, dev) for s in args.lm}
        except RewardkitError as e:  # a bad likelihood spec or model: its message, no traceback
            raise SystemExit(f"--lm: {e}") from None
        lm = {r["spec"]: r for r in earlier.get("lm", [])} | probed
        print(f"-> {write_result('quickstart_code', {**earlier, 'dev_templates': sorted(DEV), 'lm': list(lm.values())})}")
        return
    rows = []
    for arm in args.arms:
        for seed in args.seeds:
            folder = f"{arm}-{seed}" + ("" if args.steps == QuickstartOptions.steps else f"-{args.steps}")
            rows.append(run_arm(arm, seed, Path(args.out) / folder, dev, args.steps))
    keys = {(r["arm"], r["seed"], r["steps"]) for r in rows}
    rows = [r for r in earlier.get("rows", []) if (r["arm"], r["seed"], r.get("steps", 250)) not in keys] + rows
    print(f"-> {write_result('quickstart_code', {**earlier, 'dev_templates': sorted(DEV), 'rows': rows})}")


if __name__ == "__main__":
    main()
