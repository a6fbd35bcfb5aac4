"""Decoder reward models: pad token set up, last real token pooled, scores batch-invariant."""

import pytest

from rewardkit.data.schema import Message
from rewardkit.models.classifier import ClassifierScorer, load_sequence_classifier

CONVS = [
    ([Message("user", "hello how are you")], "fine thanks"),
    ([Message("system", "a b"), Message("user", "c d e f g h")], "a"),
    ([Message("user", "hello")], "fine thanks a b c d e f g h a b c d"),
]


def test_decoder_without_pad_token_gets_eos_and_right_padding(tiny_llama):
    model, tok = load_sequence_classifier(tiny_llama)
    assert tok.pad_token == tok.eos_token == "<eos>" and tok.padding_side == "right"
    assert model.config.pad_token_id == tok.eos_token_id


def test_decoder_scores_do_not_depend_on_batch_or_padding(tiny_llama):
    one = ClassifierScorer.load(tiny_llama, batch_size=1, device="cpu", dtype="float32").score(CONVS)
    three = ClassifierScorer.load(tiny_llama, batch_size=3, device="cpu", dtype="float32").score(CONVS)
    assert three == pytest.approx(one, abs=1e-5)
    assert len(set(round(x, 6) for x in one)) == 3  # different conversations, different rewards


def test_decoder_trains(tiny_llama, synth_dir, tmp_path):
    from rewardkit.train.config import RMTrainConfig
    from rewardkit.train.rm import train_reward_model

    # the word-level test tokenizer maps most synth words to <unk>: this checks the mechanics only
    summary = train_reward_model(RMTrainConfig(model=tiny_llama, data=[str(synth_dir / "train.jsonl")], out=str(tmp_path),
                                               max_steps=2, batch_size=4, bf16=False, max_length=64, attn_implementation="eager"),
                                 progress=False)
    assert summary["steps"] == 2 and summary["template"] == "chat"
    assert ClassifierScorer.load(str(tmp_path)).formatter.template == "chat"


@pytest.mark.slow
def test_embedded_smollm2_loads_as_a_trainable_plain_model(tmp_path):
    """transformers marks GGUF-loaded models as quantized although it dequantizes them; the
    Trainer would refuse them and saved folders would claim a GGUF config."""
    import torch
    from transformers.trainer_utils import validate_quantization_for_training

    model, tok = load_sequence_classifier("smollm2")
    validate_quantization_for_training(model)  # raises for a model still marked quantized
    assert getattr(model.config, "quantization_config", None) is None
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert tok.pad_token_id == model.config.pad_token_id and tok.chat_template
    model.save_pretrained(tmp_path)
    assert "quantization_config" not in (tmp_path / "config.json").read_text()
