"""Best-of-N by reward on held-out AlpacaEval prompts, judged by GPT-4's recorded preferences.

    .venv/bin/python bench/best_of_n.py [--model FOLDER] [--prompts 100] [--candidates 32]

`alpacaeval_judge_pairs.jsonl.gz` holds, for each of 805 prompts, about a hundred models' answers,
each judged by GPT-4 against one fixed reference answer. An answer "wins" when the judge preferred
it to the reference. The prompts of rb-open's Chat section (300) never enter training; on them,
for N = 1, 2, 4, 8, 16, N answers are drawn at random from a prompt's candidates and one is kept:

* by the reward model (highest reward);
* at random (the expected win rate of the N drawn);
* by "longest wins";
* by an oracle (a win whenever any of the N won).

Each point averages `--draws` draws per prompt over `--prompts` held-out prompts. Without
`--model`, a MiniLM reward model is trained first on the shared pool with every rb-open prompt
left out (`--per-file` pairs per training file, `--steps` steps).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, SHARED, benchmark_prompts, require_shared, sample_evenly, write_result  # noqa: E402

from rewardkit.data.io import read_pairs, write_pairs  # noqa: E402
from rewardkit.data.schema import Message  # noqa: E402

NS = (1, 2, 4, 8, 16)


def candidates_by_prompt() -> tuple[dict[str, list[tuple[str, str, bool]]], str]:
    """prompt -> [(model, answer, won against the reference)], and the reference model's name."""
    pairs = list(read_pairs(str(SHARED / "train" / "alpacaeval_judge_pairs.jsonl.gz"), invalid="skip"))
    seen = Counter(m for p in pairs for m in (p.meta.get("chosen_model"), p.meta.get("rejected_model")))
    reference = seen.most_common(1)[0][0]
    out: dict[str, dict[str, tuple[str, bool]]] = {}
    for p in pairs:
        cm, rm = p.meta.get("chosen_model"), p.meta.get("rejected_model")
        if reference not in (cm, rm) or cm == rm:
            continue
        model, answer, won = (cm, p.chosen, True) if rm == reference else (rm, p.rejected, False)
        out.setdefault(p.prompt[-1].content, {})[model] = (answer, won)
    return {q: [(m, a, w) for m, (a, w) in sorted(c.items())] for q, c in out.items()}, reference


def train_rm(out: Path, per_file: int, steps: int) -> str:
    from rewardkit.train.config import RMTrainConfig
    from rewardkit.train.rm import train_reward_model

    train, held, _ = sample_evenly(per_file, 50, seed=0)  # every rb-open prompt is left out
    (out / "data").mkdir(parents=True, exist_ok=True)
    write_pairs(train, str(out / "data" / "train.jsonl"))
    write_pairs(held, str(out / "data" / "held_out.jsonl"))
    cfg = RMTrainConfig(model="minilm", data=[str(out / "data" / "train.jsonl")], eval_data=[str(out / "data" / "held_out.jsonl")],
                        out=str(out / "model"), max_steps=steps, batch_size=16, learning_rate=1e-4, max_length=512,
                        logging_steps=25, save_steps=10_000, overwrite=True, length_buckets=2)
    summary = train_reward_model(cfg)
    print(f"trained {summary['steps']} steps in {summary['train_seconds']:.0f} s; held-out accuracy {summary['eval'].get('accuracy')}")
    return cfg.out


def curves(groups: list[list[tuple[float, int, bool]]], draws: int, seed: int = 0) -> dict[str, list[float]]:
    """Win rate against N for each picker; each group is [(reward, length, won)] of one prompt."""
    rng = random.Random(seed)
    out: dict[str, list[float]] = {k: [] for k in ("reward model", "random", "longest", "oracle")}
    for n in NS:
        totals = Counter()
        count = 0
        for g in groups:
            for _ in range(draws):
                pick = rng.sample(g, min(n, len(g)))
                totals["reward model"] += max(pick, key=lambda c: c[0])[2]
                totals["random"] += sum(c[2] for c in pick) / len(pick)
                totals["longest"] += max(pick, key=lambda c: c[1])[2]
                totals["oracle"] += any(c[2] for c in pick)
                count += 1
        for k in out:
            out[k].append(totals[k] / count)
    return out


def plot(result: dict[str, list[float]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, style in (("oracle", ":"), ("reward model", "-"), ("longest", "--"), ("random", "-.")):
        ax.plot(NS, [100 * v for v in result[name]], style, marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xticks(NS, [str(n) for n in NS])
    ax.set_xlabel("N (candidates drawn per prompt)")
    ax.set_ylabel("GPT-4 win rate vs the reference (%)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="a trained reward model folder (default: train one, see --steps)")
    ap.add_argument("--prompts", type=int, default=100, help="held-out prompts used (default: %(default)s)")
    ap.add_argument("--candidates", type=int, default=32, help="candidates per prompt drawn from (default: %(default)s)")
    ap.add_argument("--draws", type=int, default=200, help="random draws per prompt and N (default: %(default)s)")
    ap.add_argument("--per-file", type=int, default=600, help="training pairs per shared file (default: %(default)s)")
    ap.add_argument("--steps", type=int, default=150, help="training steps (default: %(default)s)")
    ap.add_argument("--out", default="runs/bench-best-of-n", help="working folder (default: %(default)s)")
    args = ap.parse_args()
    require_shared()
    started = time.perf_counter()
    model = args.model or train_rm(Path(args.out), args.per_file, args.steps)
    train_minutes = (time.perf_counter() - started) / 60
    by_prompt, reference = candidates_by_prompt()
    held = sorted(q for q in by_prompt if q in benchmark_prompts())
    rng = random.Random(0)
    rng.shuffle(held)
    held = held[: args.prompts]
    chosen = {q: rng.sample(by_prompt[q], min(args.candidates, len(by_prompt[q]))) for q in held}
    from rewardkit.models.registry import load_scorer

    scorer = load_scorer(model, batch_size=32)
    convs = [([Message("user", q)], a) for q in held for _, a, _ in chosen[q]]
    t = time.perf_counter()
    rewards = scorer.score(convs)
    score_seconds = time.perf_counter() - t
    groups, k = [], 0
    for q in held:
        g = []
        for _, a, won in chosen[q]:
            g.append((rewards[k], len(a), won))
            k += 1
        groups.append(g)
    result = curves(groups, args.draws)
    png = RESULTS / "best_of_n.png"
    RESULTS.mkdir(parents=True, exist_ok=True)
    plot(result, png, f"Best-of-N on {len(held)} held-out AlpacaEval prompts (reference: {reference})")
    out = {"bench": "best_of_n", "model": model, "reference": reference, "prompts": len(held), "candidates_per_prompt": args.candidates,
           "draws": args.draws, "N": list(NS), "win_rate": result, "train_minutes": round(train_minutes, 1),
           "scored_responses": len(convs), "score_seconds": round(score_seconds, 1), "plot": str(png)}
    print("| N | " + " | ".join(result) + " |\n|---:|" + "---:|" * len(result))
    for i, n in enumerate(NS):
        print(f"| {n} | " + " | ".join(f"{100 * result[k][i]:.1f}" for k in result) + " |")
    print(f"written {write_result('best_of_n', out)} and {png}")


if __name__ == "__main__":
    main()
