"""`freeze_bottom`: the embeddings and the first N layers stop training, nothing else does; a
frozen layer's attention stays in bf16 (no gradient flows through it); `train rm` leaves frozen
weights exactly as loaded and moves the rest."""

import os

import pytest
import torch
from safetensors.torch import load_file
from transformers import BertConfig, BertForSequenceClassification, LlamaConfig, LlamaForSequenceClassification

from rewardkit.errors import RewardkitError
from rewardkit.models.attention import fp32_attention_backward
from rewardkit.train.config import RMTrainConfig
from rewardkit.train.freezing import freeze_bottom, transformer_layers
from rewardkit.train.rm import train_reward_model


def _bert() -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3, num_attention_heads=2, intermediate_size=24,
                        max_position_embeddings=32, num_labels=1, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    return BertForSequenceClassification(config)


def _llama() -> LlamaForSequenceClassification:
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=24, num_hidden_layers=3, num_attention_heads=2,
                         num_key_value_heads=2, max_position_embeddings=32, num_labels=1, pad_token_id=0)
    return LlamaForSequenceClassification(config)


def _frozen(model) -> set[str]:
    return {name for name, p in model.named_parameters() if not p.requires_grad}


def _size(model, prefixes: tuple[str, ...]) -> int:
    return sum(p.numel() for name, p in model.named_parameters() if name.startswith(prefixes))


def test_bert_freezes_embeddings_and_first_layers_only():
    model = _bert()
    assert transformer_layers(model) is model.bert.encoder.layer
    assert freeze_bottom(model, 0) == 0 and not _frozen(model)
    count = freeze_bottom(model, 2)
    bottom = ("bert.embeddings.", "bert.encoder.layer.0.", "bert.encoder.layer.1.")
    assert {n for n, _ in model.named_parameters() if n.startswith(bottom)} == _frozen(model)
    assert count == _size(model, bottom) == sum(p.numel() for p in model.parameters() if not p.requires_grad)
    # layer 3, the pooler and the reward head train
    assert all(p.requires_grad for n, p in model.named_parameters() if n.startswith(("bert.encoder.layer.2.", "bert.pooler.", "classifier.")))


def test_llama_all_layers_frozen_leaves_the_final_norm_and_head():
    model = _llama()
    count = freeze_bottom(model, 3)
    assert _frozen(model) == {n for n, _ in model.named_parameters() if n.startswith(("model.embed_tokens.", "model.layers."))}
    assert count == _size(model, ("model.embed_tokens.", "model.layers."))
    assert {n for n, p in model.named_parameters() if p.requires_grad} == {"model.norm.weight", "score.weight"}


def test_more_layers_than_the_model_has_is_refused():
    with pytest.raises(RewardkitError, match="freeze_layers is 4 but BertForSequenceClassification has 3 layers"):
        freeze_bottom(_bert(), 4)
    with pytest.raises(RewardkitError, match="freeze_layers"):
        RMTrainConfig(data=["x"], out="o", freeze_layers=-1)


def test_a_frozen_layer_keeps_bf16_attention(sdpa_dtypes):
    model = _bert()  # head dim 8: small heads take fp32 attention where a gradient flows
    freeze_bottom(model, 1)
    ids = torch.randint(1, 50, (2, 10), generator=torch.Generator().manual_seed(0))
    with fp32_attention_backward(model) as applied, torch.autocast("cpu", dtype=torch.bfloat16):
        assert applied
        model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits.sum().backward()
    assert sdpa_dtypes == [torch.bfloat16, torch.float32, torch.float32]  # layer 1 frozen: nothing flows back through it


@pytest.mark.parametrize("checkpointing", [False, True])  # activations recomputed: the first trained layer still learns
def test_training_leaves_frozen_weights_as_loaded(tiny_bert, synth_dir, tmp_path, checkpointing):
    cfg = RMTrainConfig(model=tiny_bert, data=[str(synth_dir / "train.jsonl")], out=str(tmp_path / "rm"), max_steps=4,
                        batch_size=8, learning_rate=1e-2, max_length=64, bf16=False, freeze_layers=1, save_steps=100,
                        gradient_checkpointing=checkpointing)
    summary = train_reward_model(cfg, progress=False)
    init, trained = load_file(os.path.join(tiny_bert, "model.safetensors")), load_file(tmp_path / "rm" / "model.safetensors")
    bottom = ("bert.embeddings.", "bert.encoder.layer.0.")
    assert summary["frozen_parameters"] == sum(v.numel() for k, v in init.items() if k.startswith(bottom))
    for key, value in trained.items():
        if key == "classifier.bias":  # a pairwise loss sees only reward differences: no gradient
            continue
        same = torch.equal(value, init[key])
        assert same == key.startswith(bottom), key  # frozen: bit for bit; the rest moved
