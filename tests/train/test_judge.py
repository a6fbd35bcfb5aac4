"""Training generative judges (SFT): the verdict targets of every built-in template parse back
and start with the template's logprob prefix; orders are balanced; the loss mask covers the
verdict and end of turn only, on the prompt the backend renders; an over-long prompt loses its
start; and `train judge` end to end on a tiny random Llama with SmolLM2's tokenizer."""

from __future__ import annotations

import json

import pytest
import torch

from rewardkit.cli.main import main
from rewardkit.data.schema import Message, PreferencePair
from rewardkit.errors import RewardkitError
from rewardkit.models.judges.backends import render_chat
from rewardkit.models.judges.templates import JudgeTemplate, builtin_templates, load_template
from rewardkit.models.verdicts import parse_verdict
from rewardkit.train.judge import encode_examples, judge_examples, verdict_target


def _pairs(n: int) -> list[PreferencePair]:
    return [PreferencePair(id=f"p{i}", prompt=[Message("user", f"question {i}?")], chosen=f"good answer {i}",
                           rejected=f"bad answer {i}", source="toy") for i in range(n)]


@pytest.mark.parametrize("name", builtin_templates())
def test_targets_parse_back_and_match_the_logprob_prefix(name):
    template = load_template(name)
    for first in (True, False):
        target = verdict_target(template, first)
        assert parse_verdict(target, template.verdict).winner == ("first" if first else "second")  # type: ignore[arg-type]
        if template.logprob_prefix:
            assert target.startswith(template.logprob_prefix + template.logprob_choices[0 if first else 1])


def test_targets_by_hand():
    assert verdict_target(load_template("skywork-critic"), True) == "[[A]]"
    assert verdict_target(load_template("skywork-critic"), False) == "[[B]]"
    assert verdict_target(load_template("con-j"), False) == '{"更好的回答": 2}'
    assert verdict_target(load_template("con-j"), True, "更完整") == '{"更好的回答": 1, "原因": "更完整"}'
    assert verdict_target(load_template("con-j-en"), True, "it answers") == '{"better_answer": 1, "reason": "it answers"}'
    assert verdict_target(load_template("mt-bench-pair"), False) == "Final verdict: [[B]]"  # as its logprob mode reads it
    # targets the template's own parser or logprob mode would read otherwise are refused, not trained
    swapped = JudgeTemplate(name="swapped", user="{{ answer_a }} {{ answer_b }}", verdict="tag", logprob_prefix="[[", logprob_choices=("B", "A"))
    with pytest.raises(RewardkitError, match="parses as"):
        verdict_target(swapped, True)
    unkeyed = JudgeTemplate(name="unkeyed", user="{{ answer_a }} {{ answer_b }}", verdict="json", logprob_prefix="Answer: ", logprob_choices=("1", "2"))
    with pytest.raises(RewardkitError, match="logprob"):
        verdict_target(unkeyed, True)


def test_balanced_orders_put_the_chosen_answer_first_half_the_time():
    template = load_template("skywork-critic")
    examples = judge_examples(_pairs(7), template, orders="balanced", seed=3)
    assert sum(e.first_wins for e in examples) == 4 and len(examples) == 7
    for e, p in zip(examples, _pairs(7)):
        text = e.messages[-1]["content"]
        a = text.index("[The Start of Assistant A's Answer]")
        b = text.index("[The Start of Assistant B's Answer]")
        good, bad = text.index(p.chosen), text.index(p.rejected)
        assert (a < good < b) == e.first_wins and (a < bad < b) != e.first_wins
        assert e.target == ("[[A]]" if e.first_wins else "[[B]]")
    assert [e.first_wins for e in judge_examples(_pairs(7), template, seed=3)] == [e.first_wins for e in examples]  # seeded
    both = judge_examples(_pairs(3), template, orders="both")
    assert [e.first_wins for e in both] == [True, False] * 3 and [e.pair_id for e in both] == ["p0", "p0", "p1", "p1", "p2", "p2"]


def test_loss_mask_covers_the_verdict_and_end_of_turn_only(tiny_judge):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_judge)
    template = load_template("skywork-critic")
    examples = judge_examples(_pairs(2), template, orders="both")
    enc = encode_examples(tok, examples, max_length=2048)
    for ex, feat in zip(examples, enc.features):
        prompt = tok(render_chat(tok, ex.messages), add_special_tokens=False)["input_ids"]  # what the judge backend feeds
        n = len(prompt)
        assert feat["input_ids"][:n] == prompt and feat["labels"][:n] == [-100] * n
        assert tok.decode(feat["labels"][n:]) == ex.target + "<|im_end|>\n"  # SmolLM2's end of turn
        assert feat["labels"][n:] == feat["input_ids"][n:] and feat["attention_mask"] == [1] * len(feat["input_ids"])
    assert enc.truncated == 0
    short = encode_examples(tok, examples[:1], max_length=64)
    feat = short.features[0]
    assert short.truncated == 1 and len(feat["input_ids"]) == 64
    assert feat["input_ids"][-len(feat["labels"]) :] == feat["input_ids"]
    full = enc.features[0]
    assert feat["input_ids"] == full["input_ids"][-64:]  # the end is kept, as the backend keeps it
    with pytest.raises(RewardkitError, match="verdict alone"):
        encode_examples(tok, examples[:1], max_length=4)


def test_train_judge_end_to_end(tiny_judge, tmp_path, capsys):
    from safetensors.torch import load_file

    from rewardkit.data.io import write_pairs
    from rewardkit.models.registry import load_model

    data = tmp_path / "pairs.jsonl"
    write_pairs(_pairs(12), str(data))
    out = tmp_path / "judge"
    args = ["train", "judge", "--model", tiny_judge, "--data", str(data), "--out", str(out), "--max-steps", "4",
            "--batch-size", "4", "--lr", "1e-2", "--synthetic", "0.5", "--max-length", "512", "--no-bf16", "--eval-data", str(data)]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "18 examples (9 with the first answer right, 9 the second)" in err  # 12 pairs + 6 synthetic critic pairs
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "train judge" and manifest["result"]["steps"] == 4 and manifest["result"]["critic_pairs"] == 6
    assert manifest["result"]["eval_loss"] is not None and not (out / "checkpoints").exists()
    before, after = load_file(f"{tiny_judge}/model.safetensors"), load_file(str(out / "model.safetensors"))
    assert any(not torch.equal(before[k], after[k]) for k in before)
    # it learned: the verdict tokens of held-out examples are likelier than before training
    assert _verdict_nll(str(out)) < _verdict_nll(tiny_judge) - 1.0
    # the folder is a judge as it is
    judge = load_model(f"judge:skywork-critic:{out}", batch_size=4, judge_mode="logprob")
    verdicts = judge.judge([([Message("user", "question 1?")], "good answer 1", "bad answer 1")])
    assert verdicts[0].prob_first is not None
    # the same run again: nothing to train
    assert main(args) == 0 and "nothing to train" in capsys.readouterr().err


def _verdict_nll(folder: str) -> float:
    """Mean negative log-likelihood of the verdict tokens (labels) of fresh examples."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, DataCollatorForSeq2Seq

    tok, model = AutoTokenizer.from_pretrained(folder), AutoModelForCausalLM.from_pretrained(folder)
    pairs = [PreferencePair(id=f"q{i}", prompt=[Message("user", f"question {i + 50}?")], chosen=f"good answer {i + 50}",
                            rejected=f"bad answer {i + 50}", source="toy") for i in range(6)]
    enc = encode_examples(tok, judge_examples(pairs, load_template("skywork-critic"), orders="both"), 512)
    batch = DataCollatorForSeq2Seq(tok)(enc.features)
    with torch.no_grad():
        return float(model(**batch).loss)


def test_train_judge_with_a_frozen_bottom(tiny_judge, tmp_path, capsys):
    """--freeze-layers 1 on the 2-layer Llama: the embeddings (tied: also the output layer) and
    layer 0 stay as loaded, bit for bit; layer 1 and the final norm train; the manifest counts them."""
    from safetensors.torch import load_file

    from rewardkit.data.io import write_pairs

    data = tmp_path / "pairs.jsonl"
    write_pairs(_pairs(8), str(data))
    out = tmp_path / "judge"
    assert main(["train", "judge", "--model", tiny_judge, "--data", str(data), "--out", str(out), "--max-steps", "2",
                 "--batch-size", "4", "--lr", "1e-2", "--max-length", "512", "--no-bf16", "--freeze-layers", "1"]) == 0
    before, after = load_file(f"{tiny_judge}/model.safetensors"), load_file(str(out / "model.safetensors"))
    bottom = ("model.embed_tokens.", "model.layers.0.")
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved and not any(k.startswith(bottom) for k in moved)
    assert {k for k in before if k.startswith(("model.layers.1.", "model.norm."))} <= moved
    result = json.loads((out / "manifest.json").read_text())["result"]
    assert result["frozen_parameters"] == sum(v.numel() for k, v in before.items() if k.startswith(bottom))
    assert main(["train", "judge", "--model", tiny_judge, "--data", str(data), "--out", str(tmp_path / "j3"),
                 "--max-steps", "1", "--freeze-layers", "3", "--no-bf16"]) == 2
    assert "freeze_layers is 3 but LlamaForCausalLM has 2 layers" in capsys.readouterr().err
