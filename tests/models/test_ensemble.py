"""Reward ensembles: the weighted mean of members' rewards, by hand; the spec; the commands take it."""

import json

import pytest

from rewardkit.cli.main import main
from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.ensemble import EnsembleScorer, parse_ensemble_spec
from rewardkit.models.registry import load_model, load_scorer

CONVS = [([Message("user", "hi")], "abcd"), ([Message("user", "hi")], "ab"), ([Message("user", "x")], "abcdefgh")]


def test_weighted_mean_by_hand():
    scorer = load_scorer("ensemble:length,shortest@0.5")
    # (1 * len + 0.5 * -len) / 1.5 = len / 3
    assert scorer.score(CONVS) == pytest.approx([4 / 3, 2 / 3, 8 / 3])
    rand = load_scorer("random").score(CONVS)
    mixed = load_scorer("ensemble:random@3,length").score(CONVS)
    assert mixed == pytest.approx([(3 * r + len(resp)) / 4 for r, (_, resp) in zip(rand, CONVS)])


def test_members_score_through_classifier_progress(tiny_bert):
    seen: list[int] = []
    scorer = load_model(f"ensemble:{tiny_bert},{tiny_bert}@2", batch_size=2)
    single = load_scorer(tiny_bert, batch_size=2).score(CONVS)
    assert scorer.score(CONVS, on_batch=seen.append) == pytest.approx(single)  # (1 + 2) * r / 3
    assert sum(seen) == len(CONVS)  # one pass over the conversations, whatever the members
    assert isinstance(scorer, EnsembleScorer) and len(scorer.normalization) == 2


@pytest.mark.parametrize("spec, message", [("ensemble:length", "at least two"), ("ensemble:length,", "empty member"),
                                           ("ensemble:length@x,random", "bad weight"), ("ensemble:length@0,random", "must be > 0")])
def test_bad_specs_are_refused(spec, message):
    with pytest.raises(RewardkitError, match=message):
        parse_ensemble_spec(spec)


def test_eval_takes_an_ensemble(tmp_path, capsys):
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps({"prompt": "q", "chosen": "long answer", "rejected": "no", "subset": "s"}) + "\n" for _ in range(3)))
    assert main(["eval", "--model", "ensemble:length,random@0.001", "--data", str(data), "--out", str(tmp_path / "eval"),
                 "--no-baselines", "--bootstrap", "0"]) == 0
    results = json.loads((tmp_path / "eval/results.json").read_text())
    assert results["model"] == "ensemble:length,random@0.001" and results["accuracy"] == 1.0  # length decides, random barely counts
