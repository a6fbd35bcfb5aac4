"""Choose a language model's likelihood reward as an ensemble member, on the development split
(issue 13): which of `rewardkit.models.likelihood`'s four modes, and at what weight, beside a
trained reward model.

A causal LM scores every sampled dev conversation twice (after its prompt and after an empty user
turn), which gives all four modes (``loglik``, ``loglik-mean``, ``pmi``, ``pmi-mean``) from one
pass each; the reward model scores them once. Each mode is then added to the reward model's
rewards at shares w of the grid, and the dev accuracy
(all, balanced over chosen-longer and chosen-shorter pairs, and without the synthetic pairs) is
tabulated. A share w is in units of the reward model's own spread (the member's spec weight is
w x std(model) / std(mode), `common.member_scale`), so a model trained without ``normalize``
gets the same choice as its standardized self. rb-open is not read: the chosen spec then gets its row with
``bench/rm_recipe.py --model ensemble:RM,MODE:LM@W``.

The recipe's dev split holds almost no pairs of LLMBar's adversarial kind (rb-open's Chat Hard),
so with ``--neighbors`` (`bench/neighbor_dev.py`'s development neighbour pairs: development
prompts' chosen answers against untrained answers to a similar instruction) those are scored too
and tabulated apart. The choice rule, fixed before the run: the mode and weight with the highest
3/4 x the sample's balanced accuracy + 1/4 x the neighbour pairs' accuracy (the neighbour pairs
stand for one kind of pair, as Chat Hard is one of rb-open's four sections). An earlier rule
weighed the two equally and picked PMI at the grid's edge, whose rb-open Safety fell from 75.8
to 50.0 with a dev balanced accuracy 5.6 points below the model alone's.

With ``--gate DIR`` (a prompt gate, `rewardkit train gate`; repeatable) every mode is also
tabulated gated (``gated:DIR:MODE:LM``: the mode's reward times 1 - the gate's probability that
the prompt is a request to refuse), and the choice is among both.

With ``--member SPEC`` (repeatable; e.g. ``relevance``, the cosine of the instruction's and the
response's MiniLM embeddings) another scorer is tabulated like a mode (gated too), and every LM
mode is also tabulated beside it: the reward model plus two members, on the weight grid squared.

    python bench/lm_weight.py --rm runs/quality/rm-quality [--lm smollm2] [--per-source 90] [--neighbors FILE] [--gate DIR] [--member relevance]
                              [--hinge 0.3] [--gated-only] [--out-name lm_weight]

With ``--hinge Q`` (repeatable, 0 < Q < 1) every mode and member is also tabulated hinged at its
own Q-quantile on these dev conversations (``hinge:TAU:MODE``, `rewardkit.models.hinge`:
min(0, r - TAU), so only a shortfall below TAU counts), gated too when a gate is given. The
weight grid of a pair with a hinged member is kept as its best row only (the full grids would
be megabytes). ``--gated-only`` restricts the choice to candidates whose every member is gated
(the recipe's restriction: the gate exists for the members that reward answering the request).
``--out-name`` names the result file (default ``lm_weight``, bench/results/NAME.json).
``--score-cache FILE`` (an ``eval --cache`` file) also keeps every leaf's dev rewards there, each
as the leaf's own (``pmi:LM``, ``relevance``, the model's folder), so that ``bench/rm_recipe.py
--model ensemble:... --cache FILE`` measures the chosen spec on the dev split without another
LM pass (~15 minutes for SmolLM2).

Every scorer's values are cached per conversation in runs/lm_weight_cache.sqlite (by scorer
spec; a trained model's by its folder's files' times too), so that another gate, the full
split after a sample, or another member costs no second LM pass.

The sample is stratified by source (up to --per-source pairs of each, seed 0), because the
labelled sources are small beside AlpacaEval's; the LM's cost is what keeps it a sample (SmolLM2
reads ~1,200 tokens/s on the 2-core CPU).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import MEMBER_WEIGHTS, member_scale, require_shared, write_result  # noqa: E402
from rm_recipe import pair_accuracies  # noqa: E402

from rewardkit.data.io import load_pairs  # noqa: E402
from rewardkit.errors import RewardkitError  # noqa: E402
from rewardkit.models.cached import cached_values, folder_stamp, open_score_cache, store_rewards  # noqa: E402
from rewardkit.models.gate import PromptGate  # noqa: E402
from rewardkit.models.hinge import hinge  # noqa: E402
from rewardkit.models.judges.cache import ResponseCache, cache_key  # noqa: E402
from rewardkit.models.likelihood import LikelihoodScorer  # noqa: E402
from rewardkit.models.protocols import pair_conversations  # noqa: E402
from rewardkit.models.registry import load_scorer  # noqa: E402

CACHE = Path("runs/lm_weight_cache.sqlite")


def _acc(rewards: list[float], pairs: list, n_sample: int) -> dict[str, float]:
    """Accuracies on the sample (the first `n_sample` pairs) and on the neighbour pairs after it;
    `rewards` are the chosen conversations', then the rejected ones' (`pair_conversations`)."""
    k = len(pairs)
    chosen, rejected = rewards[:k], rewards[k:]
    a = pair_accuracies(chosen[:n_sample] + rejected[:n_sample], pairs[:n_sample])
    out = {key: a[key] for key in ("all", "balanced", "labelled", "source:hh-rlhf", "source:synth") if key in a}
    if k > n_sample:
        out["neighbors"] = sum(c > r for c, r in zip(chosen[n_sample:], rejected[n_sample:])) / (k - n_sample)
        out["choice"] = 0.75 * out["balanced"] + 0.25 * out["neighbors"]
    return {k: round(v, 5) for k, v in out.items()}  # a pair of the full split is 0.0007


def _cached(convs: list, scorer: str, compute) -> list:
    """`compute(missing conversations)`'s values for `convs`, kept per conversation in
    runs/lm_weight_cache.sqlite (the judges' `ResponseCache`, keyed by the scorer spec and the
    conversation), so that a sample, the full split or the neighbour pairs scored once are not
    scored again in another combination. A trained model's folder is keyed by its files' paths,
    sizes and times too (`rewardkit.models.cached.folder_stamp`): retrained there, it is scored again."""
    stamp = folder_stamp(scorer) or "0"  # "0": the key non-folder specs (an LM, relevance) were cached under before
    keys = [cache_key(scorer, stamp, "lm_weight", [[m.role, m.content] for m in prompt] + [response])
            for prompt, response in convs]
    cache = ResponseCache(CACHE)
    try:  # a repeated conversation is scored once; one call, so the LM batches over all that is new
        return cached_values(cache, keys, convs, compute, chunk=max(len(convs), 1),
                             on_cached=lambda n: print(f"{scorer}: {n} of {len(convs)} conversations cached"))
    finally:
        cache.close()


def _hinged(modes: dict[str, list[float]], quantiles: list[float]) -> tuple[dict[str, list[float]], dict[str, dict[str, float]]]:
    """Each mode hinged at each of its `quantiles` (``hinge:TAU:MODE``; TAU to 3 significant
    digits, the value the spec will carry), and the thresholds by mode and quantile."""
    import numpy as np

    out, taus = {}, {}
    for mode, values in modes.items():
        for q in quantiles:
            tau = float(f"{float(np.quantile(values, q)):.3g}")
            taus.setdefault(mode, {})[str(q)] = tau
            out[f"hinge:{tau:g}:{mode}"] = hinge(values, tau)
    return out, taus


def _rewards(convs: list, rm: str, lm: str, members: list[str], score_cache: ResponseCache | None = None
             ) -> tuple[list[float], dict[str, list[float]]]:
    """The reward model's rewards, the LM's four modes (from two passes) and each extra member's
    rewards for `convs`. With `score_cache` (an open ``eval --cache`` file, `_open_score_cache`)
    every leaf's rewards are also kept there, as its own (``pmi:LM`` for the PMI mode...):
    `bench/rm_recipe.py --cache` then scores the chosen ensemble on the dev split without a second
    LM pass."""
    def lm_modes(c: list) -> list[dict[str, float]]:
        modes = LikelihoodScorer.load(f"loglik:{lm}").modes(c)  # all four from two passes
        return [dict(zip(modes, values)) for values in zip(*modes.values())]

    rewards = _cached(convs, rm, lambda c: load_scorer(rm).score(c))
    per_conv = _cached(convs, f"modes:{lm}", lm_modes)
    modes = {mode: [v[mode] for v in per_conv] for mode in per_conv[0]}
    for spec in members:
        modes[spec] = _cached(convs, spec, lambda c, spec=spec: load_scorer(spec).score(c))
    if score_cache is not None:
        for spec, values in [(rm, rewards), *((m if m in members else f"{m}:{lm}", v) for m, v in modes.items())]:
            store_rewards(score_cache, spec, convs, values)
    return rewards, modes


def _open_score_cache(path: str | None) -> ResponseCache | None:
    """The --score-cache file, opened before any scoring, so that a path that cannot be a cache (or
    a multi-process launch, refused as eval --cache is) ends the run with its message at once and
    not after the LM's ~15-minute pass."""
    try:
        return open_score_cache(path)
    except RewardkitError as e:
        raise SystemExit(f"lm_weight: {e}") from None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rm", required=True, help="the trained reward model (a folder)")
    ap.add_argument("--lm", default="smollm2", help="the causal LM (default: %(default)s)")
    ap.add_argument("--dev", nargs="*", default=["runs/quality/split/dev.jsonl"], help="development files (default: %(default)s)")
    ap.add_argument("--per-source", type=int, default=90, help="dev pairs sampled per source (default: %(default)s)")
    ap.add_argument("--neighbors", default=None, help="development neighbour pairs (bench/neighbor_dev.py), scored apart")
    ap.add_argument("--gate", action="append", default=[], help="a prompt gate folder: every mode is also tabulated gated by it")
    ap.add_argument("--member", action="append", default=[],
                    help="another scorer spec (e.g. relevance) tabulated like the LM's modes, alone and beside each of them")
    ap.add_argument("--hinge", action="append", type=float, default=[],
                    help="a quantile Q in (0, 1): every mode and member is also tabulated hinged at its Q-quantile (repeatable)")
    ap.add_argument("--gated-only", action="store_true", help="choose only among candidates whose every member is gated")
    ap.add_argument("--score-cache", default=None,
                    help="an eval --cache file (e.g. runs/quality/scores.sqlite) that every leaf's dev rewards are also kept in")
    ap.add_argument("--out-name", default="lm_weight", help="the result's name: bench/results/NAME.json (default: %(default)s)")
    args = ap.parse_args()
    if any(not 0.0 < q < 1.0 for q in args.hinge):
        raise SystemExit(f"lm_weight: --hinge takes quantiles in (0, 1), got {args.hinge}")
    if args.gated_only and not args.gate:
        raise SystemExit("lm_weight: --gated-only needs a --gate")
    require_shared()
    score_cache = _open_score_cache(args.score_cache)
    by_source: dict[str, list] = {}
    for p in load_pairs(args.dev):
        by_source.setdefault(p.source, []).append(p)
    rng = random.Random(0)
    sample = [p for s in sorted(by_source) for p in rng.sample(by_source[s], min(args.per_source, len(by_source[s])))]
    neighbors = load_pairs([args.neighbors]) if args.neighbors else []
    n = len(sample)
    sample = sample + neighbors  # the neighbour pairs after the sample: _acc scores them apart
    convs = pair_conversations(sample)
    try:
        rm, modes = _rewards(convs, args.rm, args.lm, args.member, score_cache)
    except RewardkitError as e:  # a bad --rm, --lm or --member spec: its message, no traceback
        raise SystemExit(f"lm_weight: {e}") from None
    finally:
        if score_cache is not None:
            score_cache.close()
    hinged, taus = _hinged(modes, args.hinge)
    modes.update(hinged)
    for gate_dir in args.gate:
        keep = [1.0 - p for p in PromptGate.load(gate_dir).probability([prompt for prompt, _ in convs])]
        modes.update({f"gated:{gate_dir}:{m}": [k * v for k, v in zip(keep, values)] for m, values in list(modes.items())
                      if not m.startswith("gated:")})
    own = set(args.member) | {f"hinge:{t:g}:{m}" for m in args.member for t in taus.get(m, {}).values()}
    members = own | {f"gated:{g}:{m}" for g in args.gate for m in own}
    specs = {m: m if m in members else f"{m}:{args.lm}" for m in modes}  # each tabulated name's scorer spec
    result = {"rm": args.rm, "lm": args.lm, "members": args.member, "dev": args.dev, "gates": args.gate,
              "rule": "0.75 balanced + 0.25 neighbors", "sample": {s: min(args.per_source, len(v)) for s, v in sorted(by_source.items())},
              "neighbors": {"file": args.neighbors, "pairs": len(neighbors)}, "hinges": taus, "gated_only": args.gated_only, "rm_alone": _acc(rm, sample, n)}
    key = "choice" if neighbors else "balanced"
    print(f"reward model alone: {_fmt(result['rm_alone'])}")
    rows, pairs, candidates = _grid(rm, modes, specs, sample, n, key, args.gated_only)
    result.update({"rm_std": statistics.pstdev(rm), "modes": rows, "pairs": pairs})
    members, acc = max(candidates, key=lambda c: c[1][key])
    if acc[key] > result["rm_alone"][key]:
        spec = ",".join(f"{m}@{w:.3g}" for m, w in members)
        result["chosen"] = {"spec": spec, **acc}
        print(f"-> the ensemble spec: ensemble:{args.rm},{spec}")
    else:
        result["chosen"] = None
    print(f"chosen by {key}: {result['chosen']}")
    print(f"-> {write_result(args.out_name, result)}")


def _grid(rm: list[float], modes: dict[str, list[float]], specs: dict[str, str], pairs: list, n: int, key: str,
          gated_only: bool) -> tuple[dict, dict, list]:
    """Every mode (and member) beside the reward model at each share w of `MEMBER_WEIGHTS`, and
    every LM mode with every extra member on the grid squared: the tabulated rows by mode, the
    rows by pair, and the candidates ([(spec, spec weight), ...], accuracies) the rule chooses
    among. A share is in units of the reward model's spread (`member_scale`), so scaling the
    model's rewards scales the spec weights and changes nothing else."""
    scale = {mode: member_scale(rm, values) for mode, values in modes.items()}
    rows, by_pair, candidates = {}, {}, []
    for mode, values in modes.items():
        row = {"std": statistics.pstdev(values) or 1.0, "alone": _acc(values, pairs, n), "weights": {}}
        for w in MEMBER_WEIGHTS:
            row["weights"][str(w)] = {"spec_weight": w * scale[mode],
                                      **_acc([a + w * scale[mode] * b for a, b in zip(rm, values)], pairs, n)}
            if mode.startswith("gated:") or not gated_only:
                candidates.append(([(specs[mode], w * scale[mode])], row["weights"][str(w)]))
        rows[mode] = row
        best = max(row["weights"].items(), key=lambda kv: kv[1][key])
        print(f"{mode:24s} alone {_fmt(row['alone'])}; best w={best[0]} (@{best[1]['spec_weight']:.3g}) {_fmt(best[1])}")
    extra = [m for m in modes if specs[m] == m]
    for lm_mode in (m for m in modes if m not in extra):
        for member in extra:
            if gated_only and not (lm_mode.startswith("gated:") and member.startswith("gated:")):
                continue
            row = {}
            for wa in MEMBER_WEIGHTS:
                for wb in MEMBER_WEIGHTS:
                    sa, sb = wa * scale[lm_mode], wb * scale[member]
                    row[f"{wa},{wb}"] = acc = _acc([r + sa * a + sb * b for r, a, b in zip(rm, modes[lm_mode], modes[member])], pairs, n)
                    candidates.append(([(specs[lm_mode], sa), (specs[member], sb)], acc))
            best = max(row.items(), key=lambda kv: kv[1][key])
            hinged_pair = "hinge:" in lm_mode or "hinge:" in member
            by_pair[f"{lm_mode} + {member}"] = dict([best]) if hinged_pair else row
            print(f"{lm_mode} + {member}: best w={best[0]} {_fmt(best[1])}")
    return rows, by_pair, candidates


def _fmt(acc: dict[str, float]) -> str:
    return ", ".join(f"{k} {100 * v:.1f}" for k, v in acc.items() if k != "spec_weight")


if __name__ == "__main__":
    main()
