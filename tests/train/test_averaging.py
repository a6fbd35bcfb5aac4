"""Checkpoint averaging: the mean by hand, which checkpoints count, and a run whose saved model is
the mean of its last checkpoints."""

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from rewardkit.errors import RewardkitError
from rewardkit.train.averaging import average_state_dicts, checkpoints_before
from rewardkit.train.config import RMTrainConfig
from rewardkit.train.rm import train_reward_model
from rewardkit.typed import ConfigFieldError


def test_mean_by_hand_keeps_dtypes_and_integer_buffers():
    a = {"w": torch.tensor([1.0, 2.0]), "h": torch.tensor([1.0], dtype=torch.bfloat16), "ids": torch.tensor([0, 1])}
    b = {"w": torch.tensor([3.0, 6.0]), "h": torch.tensor([2.0], dtype=torch.bfloat16), "ids": torch.tensor([0, 1])}
    c = {"w": torch.tensor([5.0, 1.0]), "h": torch.tensor([4.0], dtype=torch.bfloat16), "ids": torch.tensor([0, 1])}
    out = average_state_dicts([a, b, c])
    assert out["w"].tolist() == [3.0, 3.0]  # (1+3+5)/3, (2+6+1)/3
    assert out["h"].dtype == torch.bfloat16 and out["h"].item() == pytest.approx(7 / 3, abs=1e-2)
    assert out["ids"].dtype == torch.int64 and out["ids"].tolist() == [0, 1]
    with pytest.raises(RewardkitError, match="same tensors"):
        average_state_dicts([a, {"w": a["w"]}])
    with pytest.raises(RewardkitError, match="shapes differ"):
        average_state_dicts([a, {**b, "w": torch.zeros(3)}])


def test_checkpoints_before_a_step(tmp_path):
    for step in (100, 200, 300):
        (tmp_path / f"checkpoint-{step}").mkdir()
        save_file({"w": torch.zeros(1)}, str(tmp_path / f"checkpoint-{step}" / "model.safetensors"))
    (tmp_path / "checkpoint-250").mkdir()  # no weights in it: not a checkpoint to average
    assert [s for s, _ in checkpoints_before(tmp_path, 300, 2)] == [100, 200]
    assert [s for s, _ in checkpoints_before(tmp_path, 301, 2)] == [200, 300]
    assert checkpoints_before(tmp_path / "none", 300, 2) == []


def test_saved_model_is_the_mean_of_the_last_checkpoints(tiny_bert, synth_dir, tmp_path):
    out = tmp_path / "rm"
    cfg = RMTrainConfig(model=tiny_bert, data=[str(synth_dir / "train.jsonl")], out=str(out), max_steps=4, batch_size=8,
                        learning_rate=1e-2, max_length=64, save_steps=1, save_total_limit=3, average_checkpoints=3,
                        keep_checkpoints=True, bf16=False, logging_steps=2)
    summary = train_reward_model(cfg, progress=False)
    assert summary["averaged_steps"] == [2, 3, 4]
    ckpts = [load_file(str(out / "checkpoints" / f"checkpoint-{s}" / "model.safetensors")) for s in (2, 3, 4)]
    saved = load_file(str(out / "model.safetensors"))
    for key, value in saved.items():
        expected = sum(c[key].float() for c in ckpts) / 3
        assert torch.allclose(value.float(), expected, atol=1e-6), key
    assert not torch.allclose(saved["classifier.weight"], ckpts[-1]["classifier.weight"])  # the weights moved: a real mean
    assert json.loads((out / "manifest.json").read_text())["result"]["averaged_steps"] == [2, 3, 4]


def test_averaging_needs_the_checkpoints_kept():
    with pytest.raises(ConfigFieldError, match="save_total_limit >= 3"):
        RMTrainConfig(data=["x"], out="o", average_checkpoints=3)
    with pytest.raises(ConfigFieldError, match="at least 2"):
        RMTrainConfig(data=["x"], out="o", average_checkpoints=1, save_total_limit=3)


def test_cli_flags_reach_the_config(tmp_path, capsys):
    from rewardkit.cli.main import main

    data = tmp_path / "p.jsonl"
    data.write_text(json.dumps({"prompt": "q", "chosen": "a", "rejected": "b"}) + "\n")
    assert main(["train", "rm", "--data", str(data), "--out", str(tmp_path / "o"), "--average-checkpoints", "3"]) == 2
    assert "save_total_limit >= 3 (it is 2)" in capsys.readouterr().err
    assert main(["train", "rm", "--data", str(data), "--out", str(tmp_path / "o"), "--average-checkpoints", "3",
                 "--save-total-limit", "1"]) == 2
    assert "(it is 1)" in capsys.readouterr().err
