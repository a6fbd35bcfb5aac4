"""Decision-Tree-Reward on a CPU: attribute heads on a frozen MiniLM, then a tree and a linear
combination on the attribute differences, against the plain Bradley-Terry MiniLM of
`bench/rm_quality.py` (same backbone, same sampled pairs).

Data budget (`sample_evenly`, as in rm_quality): 600 training + 150 development pairs per shared
file, every rb-open prompt left out.
* Attribute heads are fitted on the 2,400 training pairs, each labelled by its source
  (helpfulness: AlpacaEval and Vicuna; instruction_following: LLMBar; harmlessness: HH).
* The tree and the linear combination are fitted on the 600 development pairs (heads fitted
  on the same pairs would look better on them than they are); fit_decisions holds 20% of their
  prompts out for the reported tree accuracy.
* Variant "+synth" adds `data synth` families as attribute data (correctness: math, units,
  code; instruction_following; safety both ways): 1,200 pairs for the heads, 400 for the tree.

Then: rb-open for each tree and linear combination, next to the plain BT row of
bench/results/rm_quality.json and the baselines; the embedding speed against the plain scoring
path on the same texts (tokens/s); and the time to fit heads plus tree on cached embeddings.

    python bench/tree_quality.py [--per-file 600] [--held-out 150] [--backbone minilm]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RB_OPEN, RESULTS, require_shared, sample_evenly, write_result  # noqa: E402

from rewardkit.data.io import load_pairs, write_pairs  # noqa: E402
from rewardkit.data.synth import SynthConfig, generate_split  # noqa: E402
from rewardkit.evaluate.report import leaderboard  # noqa: E402
from rewardkit.evaluate.runner import EvalOptions, run_evaluation  # noqa: E402
from rewardkit.models.attributes.embeddings import embed_conversations  # noqa: E402
from rewardkit.models.attributes.model import load_backbone  # noqa: E402
from rewardkit.train.attributes import read_attribute_data, train_attributes  # noqa: E402
from rewardkit.train.tree import attribute_features, fit_decisions, plot_tree  # noqa: E402


def fit_tree_folder(attributes: Path, pairs_files: list[str], out: Path, max_depth: int, cache: Path) -> dict:
    pairs = load_pairs(pairs_files)
    started = time.perf_counter()
    features = attribute_features(attributes, cache=cache)
    fit = fit_decisions(pairs, [True] * len(pairs), max_depth=max_depth, min_samples_leaf=20, features=features)
    seconds = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    fit.tree.save(out / "tree.json")
    fit.linear.save(out / "linear.json")  # type: ignore[union-attr]
    features.attributes.save(out / "attributes")  # type: ignore[union-attr]
    (out / "tree.txt").write_text(fit.tree.text())
    plot_tree(fit.tree, out / "tree.png", f"attribute tree ({out.name})")
    return {**fit.report, "fit_seconds": round(seconds, 2), "tree": fit.tree.text()}


def speed(backbone: str, texts: list, repeats: int = 1) -> dict:
    """Tokens/s of embedding (no cache) against plain scoring, on the same texts and batching."""
    scorer = load_backbone(backbone, batch_size=32)
    tokens = sum(len(e.input_ids) for e in scorer.encode(texts))
    timings = {}
    for name, run in (("score", lambda: scorer.score(texts)), ("embed", lambda: embed_conversations(scorer, texts))):
        run()  # warm-up
        started = time.perf_counter()
        for _ in range(repeats):
            run()
        timings[name] = (time.perf_counter() - started) / repeats
    return {"texts": len(texts), "tokens": tokens, "score_tokens_per_s": tokens / timings["score"],
            "embed_tokens_per_s": tokens / timings["embed"], "embed_vs_score": timings["score"] / timings["embed"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-file", type=int, default=600, help="training pairs per shared file (default: %(default)s)")
    ap.add_argument("--held-out", type=int, default=150, help="development pairs per shared file (default: %(default)s)")
    ap.add_argument("--backbone", default="minilm", help="frozen backbone (default: %(default)s)")
    ap.add_argument("--synth", type=int, default=1200, help="synthetic attribute pairs for the +synth variant (default: %(default)s)")
    ap.add_argument("--max-depth", type=int, default=4, help="tree depth (default: %(default)s)")
    ap.add_argument("--speed-texts", type=int, default=600, help="texts for the embedding speed check (default: %(default)s)")
    ap.add_argument("--out", default="runs/bench-tree-quality", help="working folder (default: %(default)s)")
    args = ap.parse_args()
    require_shared()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    out = Path(args.out)
    started = time.perf_counter()
    train, dev, info = sample_evenly(args.per_file, args.held_out)
    files = {"train": out / "data" / "train.jsonl", "dev": out / "data" / "dev.jsonl"}
    write_pairs(train, str(files["train"]))
    write_pairs(dev, str(files["dev"]))
    synth = SynthConfig(n_train=args.synth, n_test=args.synth // 3, seed=7)
    synth_train, synth_test = generate_split(synth, "train")[0], generate_split(synth, "test")[0]
    write_pairs(synth_train, str(out / "data" / "synth_train.jsonl"))
    write_pairs(synth_test, str(out / "data" / "synth_tree.jsonl"))
    cache = out / "embeddings.sqlite"
    os.environ["REWARDKIT_EMBEDDING_CACHE"] = str(cache)  # the trees' evaluations reuse the embeddings too
    variants = {"shared": ([str(files["train"])], [str(files["dev"])]),
                "shared+synth": ([str(files["train"]), str(out / "data" / "synth_train.jsonl")],
                                 [str(files["dev"]), str(out / "data" / "synth_tree.jsonl")])}
    result: dict = {"sampling": info, "backbone": args.backbone, "variants": {}}
    specs = []
    for name, (head_files, tree_files) in variants.items():
        t0 = time.perf_counter()
        summary = train_attributes(args.backbone, read_attribute_data(head_files), out / name / "attributes", cache=cache)
        t1 = time.perf_counter()
        tree = fit_tree_folder(out / name / "attributes", tree_files, out / name / "tree", args.max_depth, cache)
        # the speed target: heads plus tree again, every embedding now cached
        t2 = time.perf_counter()
        train_attributes(args.backbone, read_attribute_data(head_files), out / name / "attributes-refit", cache=cache, show_progress=False)
        fit_tree_folder(out / name / "attributes-refit", tree_files, out / name / "tree-refit", args.max_depth, cache)
        refit = time.perf_counter() - t2
        result["variants"][name] = {"heads": summary, "tree": tree, "heads_seconds": round(t1 - t0, 1),
                                    "refit_on_cached_embeddings_seconds": round(refit, 1)}
        print(f"[{name}] heads {t1 - t0:.0f} s; tree held-out {tree['held_out_accuracy']:.3f}, linear {tree['linear_held_out_accuracy']:.3f}, "
              f"longer {tree['longer_wins_held_out']:.3f}; refit on cached embeddings {refit:.1f} s", flush=True)
        specs += [f"tree:{out / name / 'tree'}", f"linear:{out / name / 'tree'}"]
    rows = []
    for k, spec in enumerate(specs):
        done = run_evaluation(spec, [str(RB_OPEN)], out / "eval" / str(k), EvalOptions(baselines=k == 0, batch_size=32, bootstrap=1000))
        rows += done["results"]
        print(f"{spec}: {done['results'][0]['score']:.3f}", flush=True)
    bt = json.loads((RESULTS / "rm_quality.json").read_text())
    plain = {"model": "plain BT MiniLM (rm_quality.json)", "subsets": {}, **bt["rb_open"][next(iter(bt["rb_open"]))]}
    board = leaderboard(rows + [plain])
    (RESULTS / "tree_quality_leaderboard.md").write_text(board)
    texts = [(p.prompt, p.chosen) for p in train[: args.speed_texts // 2]] + [(p.prompt, p.rejected) for p in train[: args.speed_texts // 2]]
    result["speed"] = speed(args.backbone, texts)
    result["rb_open"] = {r["model"]: {k: r[k] for k in ("score", "sections")} for r in rows + [plain]}
    result["wall_seconds"] = time.perf_counter() - started
    for name in variants:
        import shutil

        shutil.copy(out / name / "tree" / "tree.png", RESULTS / f"tree_quality_{name.replace('+', '_')}.png")
    path = write_result("tree_quality", result)
    print(board)
    print(json.dumps(result["speed"], indent=1))
    print(f"-> {path}, {RESULTS / 'tree_quality_leaderboard.md'}")


if __name__ == "__main__":
    main()
