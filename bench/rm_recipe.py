"""The reward-model recipe and its ablation (issue 13): train one configuration, measure it on
the development split carved from the training pool (what choices are made on) and on rb-open
(the report), and record it as one row of bench/results/rm_ablation.{json,md}; rows of other
levers stay, so failed levers stay in the table.

    # the data (configs/rm-quality-curate.yaml says how), then one row per lever:
    python bench/rm_recipe.py --name recipe --config configs/rm-quality.yaml
    python bench/rm_recipe.py --name "no neighbors" --config configs/rm-quality.yaml --data runs/quality/split-noneighbors/train.jsonl
    python bench/rm_recipe.py --name "recipe, 1/4 steps" --config configs/rm-quality.yaml --set max_steps=250
    # the same number of pairs drawn uniformly from the raw sources (no curation at all):
    python bench/rm_recipe.py --name uncurated --uniform-from configs/rm-quality-curate.yaml
    # as many pairs drawn from what another curation config makes (a curation variant), on the same dev split:
    python bench/rm_recipe.py --name "no balance" --curated-from runs/quality/curate-nobalance.yaml
    # no training: a row for a model that exists, e.g. an ensemble of two rows' models (its
    # training minutes are the sum of the members' rows)
    python bench/rm_recipe.py --name "ensemble" --model ensemble:runs/ablation/recipe/model,runs/ablation/X/model
    # a row measured again with the current scoring code (its model still on this machine)
    python bench/rm_recipe.py --name recipe --rescore
    # an ensemble whose members were scored before (eval --cache FILE): only new members are scored
    python bench/rm_recipe.py --name "ensemble" --model ensemble:A,B --cache runs/cachecheck/scores.sqlite

Rows compare only on one development split: each row records its sha256, and a row on another
split (`scripts/quality_recipe.sh` carves a new one when the curation config changes) is refused
unless `--new-dev` says so.

Columns: development accuracy (all, and on pairs whose chosen answer is shorter than the
rejected one: a "longer wins" model fails those), the rb-open score and sections, the accuracy
on rb-open pairs whose chosen answer is longer / shorter, and training minutes on this machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RB_OPEN, RESULTS, require_shared  # noqa: E402

from rewardkit.data.io import load_pairs  # noqa: E402
from rewardkit.errors import RewardkitError  # noqa: E402
from rewardkit.evaluate.runner import EvalOptions, run_evaluation  # noqa: E402
from rewardkit.models.ensemble import PREFIX, parse_ensemble_spec  # noqa: E402
from rewardkit.models.gate import PREFIX as GATED  # noqa: E402
from rewardkit.models.gate import parse_gated_spec  # noqa: E402
from rewardkit.models.protocols import pair_conversations, pair_rewards  # noqa: E402
from rewardkit.models.registry import is_baseline, load_scorer  # noqa: E402
from rewardkit.train.config import RMTrainConfig  # noqa: E402
from rewardkit.train.rm import train_reward_model  # noqa: E402

TABLE = RESULTS / "rm_ablation.json"
# How rewards are computed for a row: since the reward head runs in fp32 under autocast (ties
# from bf16-rounded rewards count as wrong), rows measured before it say "bf16 head".
SCORING = "fp32 head"
SECTIONS = ("Chat", "Chat Hard", "Safety", "Reasoning")


def dev_digest(dev_files: list[str]) -> str:
    """sha256 over the development files' bytes, in order: which split a row was chosen on."""
    missing = [f for f in dev_files if not Path(f).is_file()]
    if missing:
        raise SystemExit(f"--dev: no such file {', '.join(missing)} (the development split, e.g. runs/quality/split/dev.jsonl "
                         "from scripts/quality_recipe.sh)")
    h = hashlib.sha256()
    for f in dev_files:
        h.update(Path(f).read_bytes())
    return h.hexdigest()


def check_same_dev(rows: list[dict], dev_files: list[str], digest: str, pairs: int) -> None:
    """Refuse a development split other than the one the table's rows were measured on: rows
    compare only on the same split, and `scripts/quality_recipe.sh` carves a new one whenever
    the curation config changes. The latest row with a digest decides; before digests were
    recorded, the latest row's pair count."""
    ref = next((r for r in reversed(rows) if r.get("dev_sha256")), None)
    if ref is not None:
        same, was = ref["dev_sha256"] == digest, f"sha256 {ref['dev_sha256'][:12]}, {ref['dev']['pairs']} pairs"
    elif rows:
        ref = rows[-1]
        same, was = ref["dev"]["pairs"] == pairs, f"{ref['dev']['pairs']} pairs"
    else:
        return
    if not same:
        raise SystemExit(f"--dev {' '.join(dev_files)} (sha256 {digest[:12]}, {pairs} pairs) is not the development split "
                         f"the table's rows were measured on (row {ref['name']!r}: {was}); pass --dev with that split, "
                         "or --new-dev to start comparing on this one (earlier rows then do not compare)")


def dev_accuracy(model: str, dev_files: list[str], cache: str | None = None) -> dict[str, float]:
    """`pair_accuracies` of `model` on the development files; with `cache` (an ``eval --cache``
    file) its leaf scorers' rewards are read from and kept there."""
    from rewardkit.models.cached import open_score_cache

    pairs = load_pairs(dev_files)
    opened = open_score_cache(cache)
    try:
        return pair_accuracies(load_scorer(model, cache=opened).score(pair_conversations(pairs)), pairs)
    finally:
        if opened is not None:
            opened.close()


def pair_accuracies(rewards: list[float], pairs: list) -> dict[str, float]:
    """Accuracies of `rewards` (the chosen conversations', then the rejected ones', as
    `pair_conversations` orders them) on `pairs`: all, by length side, balanced, labelled, by source."""
    n = len(pairs)
    right = [c > r for c, r in pair_rewards(rewards)]
    shorter = [ok for ok, p in zip(right, pairs) if len(p.chosen) < len(p.rejected)]
    longer = [ok for ok, p in zip(right, pairs) if len(p.chosen) >= len(p.rejected)]
    by_source: dict[str, list[bool]] = {}
    for ok, p in zip(right, pairs):
        by_source.setdefault(p.source, []).append(ok)
    on_shorter, on_longer = sum(shorter) / max(len(shorter), 1), sum(longer) / max(len(longer), 1)
    labelled = [ok for ok, p in zip(right, pairs) if p.source != "synth"]  # human / GPT-4 labels, not templates
    # the curation's answers to a related instruction as rejected (LLMBar's adversarial pattern)
    neighbor = [ok for ok, p in zip(right, pairs) if p.subset == "neighbor-instruction"]
    return {"all": sum(right) / n, "neighbor": sum(neighbor) / max(len(neighbor), 1), "neighbor_pairs": len(neighbor), "labelled": sum(labelled) / max(len(labelled), 1), "labelled_pairs": len(labelled), "chosen_shorter": on_shorter, "chosen_longer": on_longer,
            "balanced": (on_shorter + on_longer) / 2, "pairs": n, "chosen_shorter_pairs": len(shorter),
            **{f"source:{k}": sum(v) / len(v) for k, v in sorted(by_source.items())}}


def _draw(pool: list, n: int, seed: int, path: Path) -> tuple[str, list]:
    """`n` pairs of `pool` drawn uniformly with `seed` (all of it when smaller), written to `path`."""
    import random

    from rewardkit.data.io import write_pairs

    picked = random.Random(seed).sample(pool, min(n, len(pool)))
    write_pairs(picked, str(path))
    return str(path), picked


def uniform_sample(curate_config: str, n: int, dev_files: list[str], out: Path, seed: int = 0) -> tuple[str, dict]:
    """`n` pairs drawn uniformly from the curation config's raw sources, written to
    ``out/uniform.jsonl``. Left out: flawed rows, prompts of the development split, and prompts
    the config's ``decontaminate`` steps remove (benchmark prompts: the control differs from the
    recipe in curation, not in training on the benchmark it is reported on); nothing else."""
    from rewardkit.curate.decontaminate import DecontaminateStep
    from rewardkit.curate.pipeline import CurateConfig
    from rewardkit.curate.report import StepReport
    from rewardkit.data.io import ReadReport, read_pairs
    from rewardkit.data.split import prompt_group

    config = CurateConfig.from_yaml(curate_config)
    held = {prompt_group(p) for p in load_pairs(dev_files)}
    report = ReadReport()
    pool = [p for s in config.sources for p in read_pairs(s.path, format=s.format, invalid="skip", report=report)
            if prompt_group(p) not in held]
    removed: dict[str, int] = {}
    for step in config.steps:
        if isinstance(step, DecontaminateStep):
            counts = StepReport(step.name)
            pool = list(step.apply(pool, counts))
            for reason, k in counts.removed_by_reason().items():
                removed[reason] = removed.get(reason, 0) + k
    path, picked = _draw(pool, n, seed, out / "uniform.jsonl")
    return path, {"seed": seed, "pool": len(pool), "pairs": len(picked), "skipped": dict(report.skipped), "decontaminated": removed}


def curated_sample(curate_config: str, n: int, dev_files: list[str], out: Path, seed: int = 0) -> tuple[str, dict]:
    """`n` pairs drawn uniformly from what another curation config makes, written to
    ``out/curated-sample.jsonl``: a curation variant trained at the recipe's pairs and steps and
    measured on the recipe's development split. The variant's own split would differ, so its
    output is run through the split that exists: pairs with a development prompt, and pairs
    holding a development answer (a neighbour pair can take one as its rejected answer), are
    left out before the draw."""
    from rewardkit.curate.pipeline import CurateConfig, run_curation
    from rewardkit.data.split import prompt_group

    curated = out / "curated"
    report = run_curation(CurateConfig.from_yaml(curate_config), curated, config_path=curate_config)
    dev = load_pairs(dev_files)
    held = {prompt_group(p) for p in dev}
    answers = {r for p in dev for r in (p.chosen, p.rejected)}
    pool = load_pairs([str(curated / "curated.jsonl")])
    kept = [p for p in pool if prompt_group(p) not in held and p.chosen not in answers and p.rejected not in answers]
    path, picked = _draw(kept, n, seed, out / "curated-sample.jsonl")
    return path, {"curate": curate_config, "seed": seed, "curated": len(pool), "pool": len(kept), "pairs": len(picked),
                  "left_out_dev": len(pool) - len(kept), "curation_seconds": report.get("seconds")}


def trained_minutes(spec: str, rows: list[dict]) -> float:
    """Training minutes of a model the table's rows trained, or else of a `train rm` folder (its
    manifest's ``train_seconds``, e.g. scripts/quality_recipe.sh's model): an ensemble's is the
    sum of its members' (baselines such as ``relevance`` train nothing; a gated member adds its
    gate's fitting time, from the gate folder's manifest)."""
    members = [name for name, _ in parse_ensemble_spec(spec)] if spec.startswith(PREFIX) else [spec]
    gates = 0.0
    for i, m in enumerate(members):  # a gated member: its gate's fitting time, and the member's own
        while m.startswith(GATED):
            gate, m = parse_gated_spec(m)
            manifest = Path(gate) / "manifest.json"
            if not manifest.is_file():
                raise SystemExit(f"the gate {gate} has no manifest.json saying how long it took to fit (rewardkit train gate writes one)")
            gates += ((json.loads(manifest.read_text()).get("result") or {}).get("seconds") or 0.0) / 60
        members[i] = m
    members = [m for m in members if not is_baseline(m)]
    minutes = {str(Path(r["config"].get("out", ""))): r["train_minutes"] for r in rows}
    for m in members:
        manifest = Path(m) / "manifest.json"
        if str(Path(m)) not in minutes and manifest.is_file():
            seconds = (json.loads(manifest.read_text()).get("result") or {}).get("train_seconds")
            if seconds is not None:
                minutes[str(Path(m))] = seconds / 60
    missing = [m for m in members if str(Path(m)) not in minutes]
    if missing:
        raise SystemExit(f"no row of {TABLE} trained {', '.join(missing)}, and no training manifest says how long it took")
    return gates + sum(minutes[str(Path(m))] for m in members)


def _on_machine(spec: str) -> bool:
    """Whether a member's files are here: a baseline has none, a gated member its gate and member's."""
    if spec.startswith(GATED):
        gate, member = parse_gated_spec(spec)
        return Path(gate).exists() and _on_machine(member)
    return is_baseline(spec) or Path(spec).exists()


def _scored(row: dict) -> str:
    """"fp32 head" or "bf16 head", and what the row read before a rescore."""
    scoring = row.get("scoring", "bf16 head")
    before = row.get("before_rescore")
    if not before:
        return scoring
    return f"{scoring} (rescored; {before.get('scoring') or 'bf16 head'}: dev balanced {100 * before['dev']['balanced']:.1f}, rb-open {100 * before['score']:.1f})"


def markdown(rows: list[dict]) -> str:
    pct = lambda v: "-" if v is None else f"{100 * v:.1f}"  # noqa: E731
    splits = {r["dev"]["pairs"]: r["dev"]["labelled_pairs"] for r in rows if r["dev"].get("labelled_pairs")}
    labelled = ", ".join(f"{k:,} of {n:,} pairs" for n, k in sorted(splits.items())) or "none recorded"
    lines = ["# Reward-model ablation (rewardkit's CPU recipe, issue 13)", "",
             "Chosen on the development split (carved by prompt from the training pool); rb-open is the report. "
             "Random on rb-open: Chat 49.7, Chat Hard 46.5, Safety 44.7, Reasoning 49.4 (score 47.6).", "",
             "Dev balanced is the mean of the dev accuracies on pairs whose chosen answer is longer and shorter: a "
             "model that learned \"longer wins\" gains nothing there, so it is what levers are chosen on.", "",
             "Scored with: rows measured before the reward head ran in fp32 under autocast say \"bf16 head\"; a bf16 "
             "head rounds rewards to 8 significant bits and the ties count as wrong (115 of 2,158 rb-open pairs for "
             "the top-45% row, mostly HumanEvalPack). Rows whose model was still on this machine were rescored; the "
             "column keeps what they read before.", "",
             "Dev labelled is the dev accuracy without the synthetic pairs (the human- and GPT-4-labelled sources: "
             f"{labelled}): closer to the public human-labelled benchmarks the model is also judged on.", "",
             "Dev pairs says which development split a row was measured on; rows compare only within one split. The "
             "504- and 502-pair splits were carved from earlier curations and kept fixed for the rows after them; the 1,416-pair "
             "split is the one `scripts/quality_recipe.sh` carves today (`data split` leaving out pairs that cross it).", "",
             "Uncurated rows: pairs drawn uniformly from the raw sources. Those on the 504- and 502-pair splits kept the raw "
             "pool's rb-open prompts (a quarter of the pool matches one, mostly AlpacaEval answers to rb-open's "
             "AlpacaEval prompts), so their rb-open columns are inflated; later ones leave them out, as the recipe's "
             "decontaminate step does.", "",
             "| lever | dev pairs | dev acc | dev acc, chosen shorter | dev balanced | dev labelled | rb-open | " + " | ".join(SECTIONS) +
             " | rb-open acc, chosen longer / shorter | train min | scored with | notes |",
             "|---|---:|---:|---:|---:|---:|---:|" + "---:|" * len(SECTIONS) + "---:|---:|---|---|"]
    for r in rows:
        lb = r.get("length_bias") or {}
        lines.append(f"| {r['name']} | {r['dev'].get('pairs', '-')} | {pct(r['dev'].get('all'))} | {pct(r['dev'].get('chosen_shorter'))} | "
                     f"{pct(r['dev'].get('balanced'))} | {pct(r['dev'].get('labelled'))} | {pct(r['score'])} | "
                     + " | ".join(pct(r["sections"].get(s)) for s in SECTIONS)
                     + f" | {pct(lb.get('chosen_longer'))} / {pct(lb.get('chosen_shorter'))} | {r['train_minutes']:.1f} | "
                     f"{_scored(r)} | {r.get('notes', '')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True, help="the row's name (a lever)")
    ap.add_argument("--config", default="configs/rm-quality.yaml", help="training config (default: %(default)s)")
    ap.add_argument("--data", nargs="*", help="training files (default: the config's)")
    ap.add_argument("--dev", nargs="*", default=["runs/quality/split/dev.jsonl"], help="development files (default: %(default)s)")
    ap.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="config overrides (YAML values)")
    ap.add_argument("--notes", default="", help="what this row changes")
    ap.add_argument("--out", default=None, help="model folder (default: runs/ablation/NAME)")
    instead = ap.add_mutually_exclusive_group()
    instead.add_argument("--model", help="evaluate this model spec (a folder, ensemble:A,B...) instead of training one")
    instead.add_argument("--rescore", action="store_true", help="measure the named row's model again with the current "
                    "scoring code (dev and rb-open), keeping its training record; the earlier measurement is kept in the row")
    ap.add_argument("--uniform-from", metavar="CURATE_YAML", help="train on as many pairs as the config's data, drawn "
                    "uniformly from this curation config's raw sources (the uncurated control)")
    ap.add_argument("--uniform-seed", type=int, default=0, help="seed of --uniform-from's draw (default: %(default)s)")
    ap.add_argument("--curated-from", metavar="CURATE_YAML", help="train on as many pairs as the config's data, drawn "
                    "uniformly from what this curation config makes, development prompts and answers left out (a curation variant)")
    ap.add_argument("--cache", metavar="FILE", help="keep the leaf scorers' rewards on dev and rb-open in this SQLite file "
                    "(`eval --cache`): an ensemble of members scored before scores only what is new")
    ap.add_argument("--new-dev", action="store_true", help="accept a development split other than the table's rows' "
                    "(they then do not compare with this row)")
    args = ap.parse_args()
    require_shared()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    rows = json.loads(TABLE.read_text()) if TABLE.exists() else []
    digest = dev_digest(args.dev)
    if not args.new_dev:
        check_same_dev(rows, args.dev, digest, len(load_pairs(args.dev)))
    overrides = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
    slug = "".join(c if c.isalnum() else "-" for c in args.name.lower()).strip("-")
    out = Path(args.out or f"runs/ablation/{slug}")
    overrides.update({"out": str(out / "model"), "overwrite": True})
    if args.data:
        overrides["data"] = args.data
    sampled = curated = None
    if args.uniform_from:
        n = len(load_pairs(RMTrainConfig.from_sources(args.config, overrides).data))
        out.mkdir(parents=True, exist_ok=True)
        try:
            overrides["data"], sampled = uniform_sample(args.uniform_from, n, args.dev, out, seed=args.uniform_seed)
        except RewardkitError as e:  # a bad curation config or source file: its message, no traceback
            raise SystemExit(f"--uniform-from: {e}") from None
        overrides["data"] = [overrides["data"]]
    if args.curated_from:
        if args.uniform_from:
            raise SystemExit("--curated-from and --uniform-from each say where the training pairs come from: give one")
        n = len(load_pairs(RMTrainConfig.from_sources(args.config, overrides).data))
        out.mkdir(parents=True, exist_ok=True)
        try:
            path, curated = curated_sample(args.curated_from, n, args.dev, out, seed=args.uniform_seed)
        except RewardkitError as e:
            raise SystemExit(f"--curated-from: {e}") from None
        overrides["data"] = [path]
    started = time.perf_counter()
    earlier = next((x for x in rows if x["name"] == args.name), None)
    if args.rescore:
        if earlier is None:
            raise SystemExit(f"--rescore: no row named {args.name!r} in {TABLE}")
        model = earlier["config"].get("out") or earlier["config"].get("model") or ""
        members = [m for m, _ in parse_ensemble_spec(model)] if model.startswith(PREFIX) else [model]
        missing = [m for m in members if not _on_machine(m)]
        if not model or missing:
            raise SystemExit(f"--rescore: the row's model {model!r} is not on this machine ({', '.join(missing) or 'none recorded'})")
        config, summary, train_minutes = earlier["config"], {"steps": earlier.get("steps")}, earlier["train_minutes"]
        out = Path(model).parent if not model.startswith(PREFIX) else out
    elif args.model:
        model, config, summary = args.model, {"model": args.model}, {"steps": None}
        train_minutes = trained_minutes(args.model, rows)
    else:
        cfg = RMTrainConfig.from_sources(args.config, overrides)
        summary = train_reward_model(cfg)
        model, config, train_minutes = str(out / "model"), cfg.to_dict(), summary["train_seconds"] / 60
    dev = dev_accuracy(model, args.dev, args.cache)
    done = run_evaluation(model, [str(RB_OPEN)], out / "eval", EvalOptions(baselines=False, batch_size=32, bootstrap=1000,
                                                                         score_cache=args.cache))
    r = done["results"][0]
    lb = r.get("length_bias") or {}
    row = {"name": args.name, "config": config, "dev": dev, "score": r["score"], "sections": r["sections"],
           "prior_sets": r.get("prior_sets"), "length_bias": {k: (lb.get(k) or {}).get("accuracy") for k in ("chosen_longer", "chosen_shorter")},
           "subsets": {k: v["accuracy"] for k, v in r["subsets"].items()}, "train_minutes": train_minutes,
           "steps": summary["steps"], "uniform_sample": sampled, "curated_sample": curated, "wall_minutes": (time.perf_counter() - started) / 60, "notes": args.notes or (earlier or {}).get("notes", ""),
           "scoring": SCORING, "dev_sha256": digest}
    if args.rescore:
        row.update(uniform_sample=earlier.get("uniform_sample"), curated_sample=earlier.get("curated_sample"), wall_minutes=earlier.get("wall_minutes"),
                   before_rescore={k: earlier.get(k) for k in ("dev", "score", "sections", "length_bias", "subsets", "scoring")})
    rows = [row if x["name"] == args.name else x for x in rows] if args.rescore else [x for x in rows if x["name"] != args.name] + [row]
    RESULTS.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(json.dumps(rows, indent=1) + "\n")
    (RESULTS / "rm_ablation.md").write_text(markdown(rows))
    print(markdown([row]))


if __name__ == "__main__":
    main()
