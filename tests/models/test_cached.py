"""The scorer cache: each leaf scorer's rewards per conversation, reused across calls, ensembles
and evaluation runs; keyed by spec, value-changing options and a folder's file times."""

import json
import os
import shutil

import pytest

from rewardkit.cli.main import main
from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.cached import CachedScorer, store_rewards
from rewardkit.models.judges.cache import ResponseCache
from rewardkit.models.registry import load_scorer

HI, X = [Message("user", "hi")], [Message("user", "x")]
CONVS = [(HI, "abcd"), (HI, "ab"), (X, "abcdefgh")]


class CountingMember:
    """Rewards = response length; records what it was asked to score."""

    name = "counting"

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def score(self, conversations):
        self.asked.append([r for _, r in conversations])
        return [float(len(r)) for _, r in conversations]


def test_scores_only_what_the_cache_lacks(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    member = CountingMember()
    scorer = CachedScorer(member, cache, "counting")
    seen: list[int] = []
    # a repeated conversation is scored once and reported done with the rest
    assert scorer.score(CONVS + [CONVS[0]], on_batch=seen.append) == [4.0, 2.0, 8.0, 4.0]
    assert member.asked == [["abcd", "ab", "abcdefgh"]] and sum(seen) == 4
    seen.clear()
    assert scorer.score([(X, "zz"), CONVS[1]], on_batch=seen.append) == [2.0, 2.0]
    assert member.asked[-1] == ["zz"] and sum(seen) == 2
    # the same prompt text under another role is another conversation
    assert scorer.score([([Message("system", "hi")], "ab")]) == [2.0] and member.asked[-1] == ["ab"]
    # another process reading the same file gets the values without scoring
    again = CountingMember()
    assert CachedScorer(again, ResponseCache(tmp_path / "c.sqlite"), "counting").score(CONVS) == [4.0, 2.0, 8.0]
    assert again.asked == []


def test_the_key_holds_the_spec_and_the_value_changing_options(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    a, b, c, d = CountingMember(), CountingMember(), CountingMember(), CountingMember()
    CachedScorer(a, cache, "m", {"max_length": 256, "batch_size": 8}).score(CONVS)
    CachedScorer(b, cache, "m", {"max_length": 256, "batch_size": 32}).score(CONVS)  # batch size: the same values
    CachedScorer(c, cache, "m", {"max_length": 512}).score(CONVS)
    CachedScorer(d, cache, "other", {"max_length": 256}).score(CONVS)
    assert (len(a.asked), len(b.asked), len(c.asked), len(d.asked)) == (1, 0, 1, 1)


def test_stored_rewards_are_read_as_the_leafs_own(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    store_rewards(cache, "m", CONVS[:2], [7.0, 9.0], {"max_length": 256})
    member = CountingMember()
    # the same spec and value options (batch size aside): only the third conversation is scored
    assert CachedScorer(member, cache, "m", {"max_length": 256, "batch_size": 4}).score(CONVS) == [7.0, 9.0, 8.0]
    assert member.asked == [["abcdefgh"]]
    other = CountingMember()  # another max_length: none of the stored values
    assert CachedScorer(other, cache, "m", {"max_length": 512}).score(CONVS) == [4.0, 2.0, 8.0]
    with pytest.raises(RewardkitError, match="1 rewards for 2 conversations of m"):
        store_rewards(cache, "m", CONVS[:2], [1.0])


def test_baselines_and_untrained_heads_are_not_cached(tmp_path, tiny_bert):
    cache = ResponseCache(tmp_path / "c.sqlite")
    for spec in ("length", "shortest", "random", "random:3"):
        assert not isinstance(load_scorer(spec, cache=cache), CachedScorer)
    assert not isinstance(load_scorer(tiny_bert, cache=cache, allow_untrained_head=True), CachedScorer)
    assert isinstance(load_scorer(tiny_bert, cache=cache), CachedScorer)


def test_ensemble_members_are_cached_apart_and_reweighting_scores_nothing(tmp_path, tiny_bert):
    cache = ResponseCache(tmp_path / "c.sqlite")
    plain = load_scorer(f"ensemble:{tiny_bert},length@0.5", batch_size=2).score(CONVS)
    assert load_scorer(f"ensemble:{tiny_bert},length@0.5", cache=cache, batch_size=2).score(CONVS) == pytest.approx(plain)
    assert (cache.hits, cache.misses) == (0, 3)
    reweighted = load_scorer(f"ensemble:{tiny_bert}@2,hinge:3:length", cache=cache, batch_size=2).score(CONVS)
    assert (cache.hits, cache.misses) == (3, 3)  # the model's three rewards came from the cache
    model = load_scorer(tiny_bert, batch_size=2).score(CONVS)
    assert reweighted == pytest.approx([(2 * m + min(0.0, len(r) - 3)) / 3 for m, (_, r) in zip(model, CONVS)])


def test_a_folder_retrained_in_place_is_scored_again(tmp_path, tiny_bert):
    folder = tmp_path / "model"
    shutil.copytree(tiny_bert, folder)
    cache = ResponseCache(tmp_path / "c.sqlite")
    load_scorer(str(folder), cache=cache).score(CONVS)
    load_scorer(str(folder), cache=cache).score(CONVS)
    assert (cache.hits, cache.misses) == (3, 3)
    weights = next(folder.glob("*.safetensors"))
    os.utime(weights, ns=(1, 1))
    load_scorer(str(folder), cache=cache).score(CONVS)
    assert cache.misses == 6


def test_eval_cache_makes_a_rerun_score_nothing(tmp_path, tiny_bert, synth_dir):
    data = str(synth_dir / "test.jsonl")
    cache = tmp_path / "scores.sqlite"
    spec = f"ensemble:{tiny_bert},relevance:{tiny_bert}@0.5"
    for run in ("a", "b"):
        assert main(["eval", "--model", spec, "--data", data, "--out", str(tmp_path / run), "--no-baselines",
                     "--bootstrap", "0", "--cache", str(cache)]) == 0
    first, second = (json.loads((tmp_path / run / "results.json").read_text()) for run in ("a", "b"))
    conversations = 2 * first["pairs"]
    assert first["cache"]["misses"] > 0 and second["cache"]["misses"] == 0
    assert second["cache"]["hits"] == first["cache"]["misses"] <= 2 * conversations  # two leaves
    assert second["accuracy"] == first["accuracy"] and second["sections"] == first["sections"]


def test_the_wrapper_keeps_what_evaluation_reads_from_the_member(tmp_path, tiny_bert):
    plain = load_scorer(tiny_bert)
    cached = load_scorer(tiny_bert, cache=ResponseCache(tmp_path / "c.sqlite"))
    assert cached.margin_is_logit is plain.margin_is_logit is True  # calibration is still reported
    assert cached.load_options == plain.load_options and cached.load_options is not None
    assert cached.normalization == plain.normalization


def test_score_cache_reruns_score_nothing_and_are_refused_under_torchrun(tmp_path, tiny_bert, synth_dir, monkeypatch, capsys):
    data, cache = str(synth_dir / "test.jsonl"), str(tmp_path / "scores.sqlite")
    outs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    for out in outs:
        assert main(["score", "--model", tiny_bert, "--data", data, "--out", str(out), "--cache", cache]) == 0
    first, second = (json.loads(out.with_name(out.name + ".manifest.json").read_text())["counts"]["cache"] for out in outs)
    assert first["hits"] == 0 and first["misses"] > 0 and second == {"path": cache, "hits": first["misses"], "misses": 0}
    assert outs[0].read_text() == outs[1].read_text()
    monkeypatch.setenv("WORLD_SIZE", "2")
    capsys.readouterr()
    assert main(["score", "--model", tiny_bert, "--data", data, "--out", str(tmp_path / "c.jsonl"), "--cache", cache]) == 2
    assert "works in one process" in capsys.readouterr().err
