"""ODIN's length head (rewardkit.train.length_head): the row surgery is exact, the penalty's
values are the ones computed by hand, and training with it saves an ordinary one-output model."""

import json
import math

import pytest
import torch
from safetensors.torch import load_file

from rewardkit.data.io import write_pairs
from rewardkit.data.schema import Message, PreferencePair
from rewardkit.errors import RewardkitError
from rewardkit.models.classifier import ClassifierScorer, load_sequence_classifier
from rewardkit.models.protocols import pair_conversations
from rewardkit.train.config import RMTrainConfig
from rewardkit.train.length_head import add_length_head, drop_length_head, output_layer
from rewardkit.train.losses import length_head_penalty, pair_length_correlation
from rewardkit.train.rm import train_reward_model


def _logits(model, tokenizer):
    batch = tokenizer(["a short answer", "a much longer answer with more words in it"], padding=True, return_tensors="pt")
    with torch.no_grad():
        return model(**batch).logits


@pytest.mark.parametrize("fixture, layer", [("tiny_bert", "classifier"), ("tiny_llama", "score")])
def test_add_and_drop_keep_the_reward_exactly(fixture, layer, request):
    model, tok = load_sequence_classifier(request.getfixturevalue(fixture))
    model.eval()
    before, weight = _logits(model, tok), output_layer(model)[2].weight.detach().clone()
    assert output_layer(model)[1] == layer
    grown = add_length_head(model, seed=3)
    assert grown.out_features == 2 and model.config.num_labels == 2 and getattr(model, layer) is grown
    both = _logits(model, tok)
    assert both.shape == (2, 2)
    # row 0 is the old head (a two-row matmul may round the last bit differently from a one-row one)
    assert torch.allclose(both[:, 0], before[:, 0], rtol=1e-5, atol=1e-7)
    assert not torch.equal(both[:, 1], both[:, 0])
    std = model.config.initializer_range
    assert 0.5 * std < float(grown.weight[1].detach().std()) < 2 * std
    if grown.bias is not None:
        assert float(grown.bias[1].detach()) == 0.0
    assert output_layer(model)[2] is grown
    drop_length_head(model)
    assert model.config.num_labels == 1 and getattr(model, layer).out_features == 1
    assert torch.equal(getattr(model, layer).weight, weight)
    assert torch.allclose(_logits(model, tok), before, rtol=1e-5, atol=1e-7)


def test_the_new_row_depends_on_the_seed_only(tiny_bert):
    rows = []
    for seed in (0, 0, 1):
        model, _ = load_sequence_classifier(tiny_bert)
        rows.append(add_length_head(model, seed=seed).weight[1].detach().clone())
    assert torch.equal(rows[0], rows[1]) and not torch.equal(rows[0], rows[2])


def test_surgery_refuses_what_it_cannot_do(tiny_bert):
    model, _ = load_sequence_classifier(tiny_bert)
    with pytest.raises(RewardkitError, match="no length head to drop"):
        drop_length_head(model)
    add_length_head(model)
    with pytest.raises(RewardkitError, match="needs a one-output reward model"):
        add_length_head(model)
    model.extra = torch.nn.Linear(4, 2)  # a second two-output linear outside the backbone: ambiguous
    with pytest.raises(RewardkitError, match="cannot find the output layer"):
        output_layer(model)


def test_pair_length_correlation_by_hand():
    c_len, r_len = torch.tensor([2, 4, 8]), torch.tensor([1, 1, 1])  # log ratios (1, 2, 3) x log 2
    assert float(pair_length_correlation(torch.tensor([1.0, 2.0, 3.0]), torch.zeros(3), c_len, r_len)) == pytest.approx(1.0)
    assert float(pair_length_correlation(torch.tensor([3.0, 2.0, 1.0]), torch.zeros(3), c_len, r_len)) == pytest.approx(-1.0)
    # centred margins (-1, 1, 0) against centred ratios (-1, 0, 1): 1 / sqrt(2 * 2)
    assert float(pair_length_correlation(torch.tensor([1.0, 3.0, 2.0]), torch.zeros(3), c_len, r_len)) == pytest.approx(0.5)
    assert float(pair_length_correlation(torch.tensor([1.0]), torch.tensor([0.0]), c_len[:1], r_len[:1])) == 0.0


def test_length_head_penalty_by_hand():
    c_len, r_len = torch.tensor([2, 4, 8]), torch.tensor([1, 1, 1])
    margins = torch.tensor([1.0, 3.0, 2.0], requires_grad=True)  # correlation 0.5, as above
    quality, length = torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1.0])  # cosine 1 / sqrt 2
    value = length_head_penalty(margins, torch.zeros(3), c_len, r_len, quality, length)
    assert float(value.detach()) == pytest.approx(-0.5 + 1 / math.sqrt(2))
    # the sign of the cosine does not matter; orthogonal rows and margins that follow the lengths give -1
    assert float(length_head_penalty(margins, torch.zeros(3), c_len, r_len, quality, -length)) == pytest.approx(-0.5 + 1 / math.sqrt(2))
    aligned = length_head_penalty(torch.tensor([1.0, 2.0, 3.0]), torch.zeros(3), c_len, r_len, quality, torch.tensor([0.0, 2.0]))
    assert float(aligned) == pytest.approx(-1.0)
    value.backward()  # lowering the penalty means following the lengths: d/dm points against the ratios
    assert margins.grad is not None and float(margins.grad[2] - margins.grad[0]) < 0


def _length_confounded(path, n=96):
    """Pairs whose chosen answer is the rejected one plus filler words: length is the only signal."""
    pairs = []
    for i in range(n):
        base = f"answer number {i} is about topic {i % 7}"
        longer = base + " and it goes on" * (2 + i % 5)
        pairs.append(PreferencePair(id=f"toy-{i}", prompt=[Message("user", f"question {i}")], chosen=longer, rejected=base, source="toy"))
    write_pairs(pairs, str(path))
    return pairs


def _margins(folder, pairs):
    rewards = ClassifierScorer.load(folder).score(pair_conversations(pairs))
    n = len(pairs)
    return torch.tensor(rewards[:n]) - torch.tensor(rewards[n:])


def test_training_with_a_length_head_saves_the_reward_alone_and_leaves_length_to_the_head(tiny_bert, tmp_path):
    pairs = _length_confounded(tmp_path / "train.jsonl")
    common = dict(model=tiny_bert, data=[str(tmp_path / "train.jsonl")], max_steps=30, batch_size=16, logging_steps=10,
                  learning_rate=3e-3, max_length=64, save_steps=100, bf16=False, seed=0)
    train_reward_model(RMTrainConfig(out=str(tmp_path / "plain"), **common), progress=False)
    summary = train_reward_model(RMTrainConfig(out=str(tmp_path / "odin"), length_head=1.0, **common), progress=False)
    config = json.loads((tmp_path / "odin/config.json").read_text())
    assert len(config.get("id2label", {"0": ""})) == 1  # an ordinary one-output classifier
    weights = load_file(str(tmp_path / "odin/model.safetensors"))
    assert weights["classifier.weight"].shape == (1, 32) and weights["classifier.bias"].shape == (1,)
    manifest = json.loads((tmp_path / "odin/manifest.json").read_text())
    assert manifest["config"]["length_head"] == 1.0 and summary["steps"] == 30
    # length is the only signal: plain BT puts it in the reward (margins ~2.9 on this data); with
    # the length head it goes to the head that was dropped, and the saved reward's margins are ~0
    plain, odin = _margins(str(tmp_path / "plain"), pairs), _margins(str(tmp_path / "odin"), pairs)
    assert bool((plain > 0).all()) and float(plain.mean()) > 1.0
    assert float(odin.abs().max()) < 0.05 * float(plain.mean())


def test_config_refuses_negative_weights(tmp_path):
    from rewardkit.typed import ConfigFieldError

    for name in ("length_head", "length_penalty"):
        with pytest.raises(ConfigFieldError, match=name):
            RMTrainConfig(model="minilm", data=["x.jsonl"], out=str(tmp_path / "o"), **{name: -0.5})


def test_sharded_training_is_refused_before_any_step(tiny_bert, synth_dir, tmp_path, monkeypatch):
    """The loss reads both output rows, which FSDP / ZeRO-3 shard: refused by name, nothing trained."""
    import rewardkit.train.rm as rm

    monkeypatch.setattr(rm, "is_deepspeed_zero3_enabled", lambda: True)
    cfg = RMTrainConfig(model=tiny_bert, data=[str(synth_dir / "train.jsonl")], out=str(tmp_path / "m"), max_steps=2,
                        batch_size=4, max_length=64, bf16=False, length_head=1.0)
    with pytest.raises(RewardkitError, match="FSDP and DeepSpeed ZeRO-3"):
        train_reward_model(cfg, progress=False)
    assert not (tmp_path / "m" / "model.safetensors").exists()
    cfg.length_head = None  # without the head the same settings train
    assert train_reward_model(cfg, progress=False)["steps"] == 2
