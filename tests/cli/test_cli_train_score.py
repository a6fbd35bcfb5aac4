"""`rewardkit train rm` and `rewardkit score` as a user runs them."""

import json

import pytest

from rewardkit.cli.main import main, spread_multi_values
from rewardkit.data.io import load_pairs


def test_multi_value_options_are_spread():
    assert spread_multi_values(["train", "rm", "--data", "a", "b", "--out", "o", "--eval-data", "c"]) == [
        "train", "rm", "--data", "a", "--data", "b", "--out", "o", "--eval-data", "c"]
    assert spread_multi_values(["data", "stats", "a", "b"]) == ["data", "stats", "a", "b"]


def test_train_then_score(tiny_bert, synth_dir, tmp_path):
    out = tmp_path / "rm"
    cfg = tmp_path / "c.yaml"
    cfg.write_text("loss: hinge\nloss_params: {hinge_margin: 0.5}\nlogging_steps: 1\n")
    code = main(["train", "rm", "--model", tiny_bert, "--data", str(synth_dir / "train.jsonl"), str(synth_dir / "test.jsonl"),
                 "--out", str(out), "--max-steps", "3", "--batch-size", "4", "--no-bf16", "--config", str(cfg), "--max-length", "96",
                 "--length-head", "0.5"])
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["loss"] == "hinge" and manifest["config"]["loss_params"]["hinge_margin"] == 0.5
    assert manifest["config"]["length_head"] == 0.5  # trained with a length output; the folder scores with one output
    assert manifest["config"]["bf16"] is False and manifest["result"]["bf16"] is False
    assert manifest["result"]["fp32_attention_backward"] is False  # only under bf16 autocast (models/attention.py)
    assert manifest["counts"]["train"]["pairs"] == 300  # both files
    scores = tmp_path / "scores.jsonl"
    assert main(["score", "--model", str(out), "--data", str(synth_dir / "test.jsonl"), "--out", str(scores)]) == 0
    rows = [json.loads(line) for line in scores.read_text().splitlines()]
    pairs = load_pairs(str(synth_dir / "test.jsonl"))
    assert [r["id"] for r in rows] == [p.id for p in pairs]
    assert all(isinstance(r["chosen_reward"], float) for r in rows)
    side = json.loads((tmp_path / "scores.jsonl.manifest.json").read_text())
    assert side["counts"]["pairs"] == 60 and side["config"]["model"] == str(out)


def test_score_with_a_baseline(synth_dir, tmp_path):
    out = tmp_path / "len.jsonl"
    assert main(["score", "--model", "length", "--data", str(synth_dir / "test.jsonl"), "--out", str(out)]) == 0
    row = json.loads(out.read_text().splitlines()[0])
    pair = load_pairs(str(synth_dir / "test.jsonl"))[0]
    assert (row["chosen_reward"], row["rejected_reward"]) == (len(pair.chosen), len(pair.rejected))


def test_bad_training_input_is_exit_2(synth_dir, tmp_path, capsys):
    assert main(["train", "rm", "--data", str(synth_dir / "train.jsonl"), "--loss", "dpo", "--out", str(tmp_path)]) == 2
    assert "unknown loss 'dpo'; known: bt" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "q", "chosen": "", "rejected": "b"}\n')
    assert main(["train", "rm", "--data", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "bad.jsonl:1: field 'chosen': the chosen response is empty" in capsys.readouterr().err


@pytest.mark.parametrize("spec", ["random", "random:3", "shortest"])
def test_load_scorer_baselines(spec):
    from rewardkit import load_scorer
    from rewardkit.data.schema import Message

    scorer = load_scorer(spec)
    convs = [([Message("user", "q")], "a much longer answer"), ([Message("user", "q")], "short")]
    first = scorer.score(convs)
    assert scorer.score(convs[::-1])[::-1] == first  # order-independent and deterministic
    if spec == "shortest":
        assert first[1] > first[0]


def test_baselines_ignore_model_options_and_unknown_options_fail():
    from rewardkit import load_scorer

    assert load_scorer("length", batch_size=8, bf16=True, max_length=64).name == "length"
    with pytest.raises(TypeError, match="unknown scorer options \\['batchsize'\\]"):
        load_scorer("length", batchsize=8)
