"""`fp32_attention_backward`: on a CPU under bf16 autocast, small heads get fp32 attention while
gradients flow, and nothing else changes (forward-only calls, larger heads, the saved model)."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification

from rewardkit.models.attention import NAME, fp32_attention_backward, head_dim


def _bert(heads: int, hidden: int = 64) -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=100, hidden_size=hidden, num_hidden_layers=2, num_attention_heads=heads,
                        intermediate_size=64, max_position_embeddings=64, num_labels=1,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    return BertForSequenceClassification(config).eval()


def _inputs() -> dict[str, torch.Tensor]:
    ids = torch.randint(1, 100, (3, 12), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0  # padded rows take the masked path
    mask[2, 4:] = 0
    return {"input_ids": ids, "attention_mask": mask}


def _reward_and_grad(model, inputs) -> tuple[torch.Tensor, torch.Tensor]:
    model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        rewards = model(**inputs).logits[:, 0].float()
    rewards.sum().backward()
    return rewards.detach(), model.bert.encoder.layer[0].attention.self.query.weight.grad.clone()


def test_small_heads_train_with_fp32_attention_and_the_same_gradient(sdpa_dtypes):
    model = _bert(heads=4)  # head dim 16
    inputs = _inputs()
    seen = sdpa_dtypes
    plain_rewards, plain_grad = _reward_and_grad(model, inputs)
    assert seen and set(seen) == {torch.bfloat16}  # autocast's bf16 attention, before the change
    seen.clear()
    with fp32_attention_backward(model) as applied:
        assert applied and model.config._attn_implementation == NAME
        rewards, grad = _reward_and_grad(model, inputs)
        assert set(seen) == {torch.float32}  # every layer's attention ran in fp32
        seen.clear()
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            model(**inputs)
        assert set(seen) == {torch.bfloat16}  # forward only (scoring) keeps bf16, the faster there
    assert model.config._attn_implementation == "sdpa"  # put back
    # the same model and gradient, up to bf16 rounding of the attention
    torch.testing.assert_close(rewards, plain_rewards, atol=0.02, rtol=0)
    assert torch.nn.functional.cosine_similarity(grad.flatten(), plain_grad.flatten(), dim=0) > 0.99
    # and the fp32 attention is the more exact: closer to the model run in fp32 throughout
    model.zero_grad()
    exact = model(**inputs).logits[:, 0]
    exact.sum().backward()
    exact_grad = model.bert.encoder.layer[0].attention.self.query.weight.grad
    assert (grad - exact_grad).norm() <= (plain_grad - exact_grad).norm()


def test_larger_heads_and_other_attention_are_left_alone():
    model = _bert(heads=1)  # head dim 64: bf16 is as fast there (module docstring)
    assert head_dim(model.config) == 64
    assert head_dim(object()) is None  # a config without head sizes is left alone too
    with fp32_attention_backward(model) as applied:
        assert not applied and model.config._attn_implementation == "sdpa"
    eager = _bert(heads=4)
    eager.set_attn_implementation("eager")
    with fp32_attention_backward(eager) as applied:
        assert not applied and eager.config._attn_implementation == "eager"


def test_put_back_after_an_error_and_never_saved(tmp_path):
    model = _bert(heads=4)
    with pytest.raises(RuntimeError, match="stopped"), fp32_attention_backward(model):
        model.save_pretrained(tmp_path)  # a checkpoint written mid-training
        raise RuntimeError("stopped")
    assert model.config._attn_implementation == "sdpa"
    assert NAME not in json.dumps(json.loads((tmp_path / "config.json").read_text()))
    reloaded = AutoModelForSequenceClassification.from_pretrained(tmp_path)  # loads anywhere, without rewardkit's registry
    assert reloaded.config._attn_implementation == "sdpa"
