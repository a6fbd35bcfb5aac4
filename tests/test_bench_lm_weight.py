"""bench/lm_weight.py caches each scorer's values per conversation, so a sample, the full split
and the neighbour pairs scored once are never scored again in another combination."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import lm_weight  # noqa: E402

from rewardkit.data.schema import Message  # noqa: E402


def _conv(prompt: str, response: str):
    return ([Message(role="user", content=prompt)], response)


def test_values_are_cached_per_conversation(tmp_path, monkeypatch):
    monkeypatch.setattr(lm_weight, "CACHE", tmp_path / "cache.sqlite")
    calls: list[list[str]] = []

    def compute(convs):
        calls.append([r for _, r in convs])
        return [float(len(r)) for _, r in convs]

    a, b, c = _conv("q", "a"), _conv("q", "bb"), _conv("p", "ccc")
    # a duplicate conversation is scored once and gets the one value in both places
    assert lm_weight._cached([a, b, a], "spec", compute) == [1.0, 2.0, 1.0]
    assert calls == [["a", "bb"]]
    # another combination: only the new conversation is scored, the rest come from the file
    assert lm_weight._cached([c, b], "spec", compute) == [3.0, 2.0]
    assert calls == [["a", "bb"], ["ccc"]]
    # another scorer spec has its own store; the same prompt with another role is another conversation
    other = ([Message(role="system", content="q")], "a")
    assert lm_weight._cached([a, other], "other", compute) == [1.0, 1.0]
    assert calls[-1] == ["a", "a"]
    # a trained model's folder: the same spec, retrained in place, is scored again
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights").write_text("1")
    assert lm_weight._cached([a], str(model), compute) == [1.0]
    assert lm_weight._cached([a], str(model), compute) == [1.0] and len(calls) == 4
    os.utime(model / "weights", ns=(1, 1))
    lm_weight._cached([a], str(model), compute)
    assert len(calls) == 5


def test_hinged_modes_carry_their_threshold_in_the_spec():
    modes = {"pmi": [0.0, 10.0, 20.0, 30.0, 40.0], "relevance": [0.5, 0.25, 1.0, 0.75, 0.0]}
    hinged, taus = lm_weight._hinged(modes, [0.25, 0.5])
    # numpy's linear quantiles: pmi 10 and 20, relevance 0.25 and 0.5
    assert taus == {"pmi": {"0.25": 10.0, "0.5": 20.0}, "relevance": {"0.25": 0.25, "0.5": 0.5}}
    assert hinged["hinge:10:pmi"] == [-10.0, 0.0, 0.0, 0.0, 0.0]
    assert hinged["hinge:20:pmi"] == [-20.0, -10.0, 0.0, 0.0, 0.0]
    assert hinged["hinge:0.5:relevance"] == [0.0, -0.25, 0.0, 0.0, -0.5]
    # the threshold is rounded to 3 significant digits before it is applied, as the spec carries it
    hinged, taus = lm_weight._hinged({"m": [0.0, 1.0, 2.0]}, [1 / 3])
    assert taus == {"m": {str(1 / 3): 0.667}} and hinged["hinge:0.667:m"] == [-0.667, 0.0, 0.0]


def test_score_cache_keeps_every_leaf_as_its_own_spec(tmp_path, monkeypatch):
    """With a score cache, `load_scorer(LEAF, cache=...)` (what rm_recipe's dev row and eval use)
    reads the leaves' dev rewards without scoring: the model, each LM mode, each member."""
    from rewardkit.models.cached import CachedScorer
    from rewardkit.models.judges.cache import ResponseCache

    monkeypatch.setattr(lm_weight, "CACHE", tmp_path / "own.sqlite")

    class Fixed:  # a leaf: reward = len(response) * factor
        def __init__(self, factor: float) -> None:
            self.factor, self.asked = factor, 0

        def score(self, convs):
            self.asked += len(convs)
            return [self.factor * len(r) for _, r in convs]

    class LM:
        @staticmethod
        def load(spec):
            assert spec == "loglik:tiny-lm"
            return LM()

        def modes(self, convs):
            return {"loglik": [-1.0 * len(r) for _, r in convs], "pmi": [0.5 * len(r) for _, r in convs]}

    leaves = {"runs/rm": Fixed(2.0), "relevance": Fixed(0.1)}
    monkeypatch.setattr(lm_weight, "load_scorer", lambda spec: leaves[spec])
    monkeypatch.setattr(lm_weight, "LikelihoodScorer", LM)
    convs = [_conv("q", "a"), _conv("q", "bbb")]
    stored = lm_weight._open_score_cache(str(tmp_path / "scores.sqlite"))
    rm, modes = lm_weight._rewards(convs, "runs/rm", "tiny-lm", ["relevance"], stored)
    stored.close()
    assert rm == [2.0, 6.0] and modes == {"loglik": [-1.0, -3.0], "pmi": [0.5, 1.5], "relevance": [0.1, 0.30000000000000004]}
    cache = ResponseCache(tmp_path / "scores.sqlite")
    for spec, want in [("runs/rm", rm), ("pmi:tiny-lm", modes["pmi"]), ("loglik:tiny-lm", modes["loglik"]), ("relevance", modes["relevance"])]:
        never = Fixed(99.0)
        assert CachedScorer(never, cache, spec).score(convs) == want and never.asked == 0, spec


def test_member_shares_are_in_units_of_the_reward_models_spread():
    """The same model at another scale (trained without normalize) gets the same accuracies at
    every share and the same choice; only the spec weights scale with it."""
    import random
    import statistics
    from types import SimpleNamespace

    rng = random.Random(0)
    pairs = [SimpleNamespace(chosen="x" * rng.randint(1, 9), rejected="y" * rng.randint(1, 9), source="s", subset="t")
             for _ in range(40)]
    rm = [rng.gauss(0, 1) for _ in range(80)]  # the 40 chosen conversations', then the 40 rejected ones'
    modes = {"pmi": [rng.gauss(0, 5) for _ in range(80)], "relevance": [rng.gauss(0, 0.1) for _ in range(80)]}
    specs = {"pmi": "pmi:lm", "relevance": "relevance"}
    rows, by_pair, candidates = lm_weight._grid(rm, modes, specs, pairs, 40, "balanced", False)
    # by hand: the spec weight of share w is w x std(model) / std(member)
    assert rows["pmi"]["weights"]["0.5"]["spec_weight"] == 0.5 * statistics.pstdev(rm) / statistics.pstdev(modes["pmi"])

    def same(acc):
        return {k: v for k, v in acc.items() if k != "spec_weight"}

    wide, wide_pairs, wide_candidates = lm_weight._grid([3.0 * r for r in rm], modes, specs, pairs, 40, "balanced", False)
    for mode in modes:
        for w, acc in rows[mode]["weights"].items():
            other = wide[mode]["weights"][w]
            assert same(other) == same(acc)
            assert abs(other["spec_weight"] - 3.0 * acc["spec_weight"]) < 1e-9
    assert wide_pairs == by_pair
    best = max(candidates, key=lambda c: c[1]["balanced"])
    wide_best = max(wide_candidates, key=lambda c: c[1]["balanced"])
    assert [s for s, _ in wide_best[0]] == [s for s, _ in best[0]] and same(wide_best[1]) == same(best[1])
    # the grid's accuracies do move with the share: the test compares something that varies
    assert len({acc["all"] for acc in rows["pmi"]["weights"].values()}) > 1


def test_a_score_cache_path_that_cannot_be_one_ends_the_run_before_any_scoring(tmp_path, monkeypatch):
    """--score-cache is opened first: a folder, or a file that is not SQLite, ends the run with the
    path in the message (no traceback), and so does a multi-process launch."""
    import pytest

    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database, just bytes" * 100)
    for bad in (tmp_path, junk):
        with pytest.raises(SystemExit, match=f"lm_weight: {bad}: cannot use it as a cache"):
            lm_weight._open_score_cache(str(bad))
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(SystemExit, match="works in one process"):
        lm_weight._open_score_cache(str(tmp_path / "new.sqlite"))
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert lm_weight._open_score_cache(None) is None
