"""Shared test fixtures: the shared data folder, a tiny chat tokenizer, the MiniLM tokenizer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("REWARDKIT_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the repository; tests that need it skip when it is absent."""
    if not (SHARED_DATA / "train").is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set REWARDKIT_SHARED_DATA to its path)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def minilm_tokenizer():
    from rewardkit.data.tokens import load_tokenizer

    return load_tokenizer("minilm")


@pytest.fixture(scope="session")
def chat_tokenizer():
    """A word-level tokenizer with a BOS token and a Jinja chat template that emits it."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = "<bos> <eos> <pad> <unk> <|user|> <|assistant|> <|system|> hello world how are you fine thanks a b c d e f g h".split()
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>", unk_token="<unk>")
    tok.chat_template = (
        "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <eos> {% endfor %}"
        "{% if add_generation_prompt %}<|assistant|> {% endif %}"
    )
    return tok


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory, minilm_tokenizer):
    """A 2-layer, 32-wide random BERT sequence classifier with the MiniLM tokenizer, saved to a folder."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    folder = tmp_path_factory.mktemp("tiny-bert")
    config = BertConfig(vocab_size=minilm_tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, num_labels=1)
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    minilm_tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory):
    """A small synthetic train/test set."""
    from rewardkit.data.synth import SynthConfig, generate_to

    folder = tmp_path_factory.mktemp("synth")
    generate_to(folder, SynthConfig(n_train=240, n_test=60, seed=0))
    return folder


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory, chat_tokenizer):
    """A 2-layer random Llama sequence classifier whose tokenizer has a chat template and no pad token."""
    import copy

    import torch
    from transformers import LlamaConfig, LlamaForSequenceClassification

    folder = tmp_path_factory.mktemp("tiny-llama")
    tok = copy.deepcopy(chat_tokenizer)
    tok.pad_token = None
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                         num_key_value_heads=2, max_position_embeddings=256, num_labels=1, bos_token_id=tok.bos_token_id,
                         eos_token_id=tok.eos_token_id, pad_token_id=None)
    torch.manual_seed(0)
    LlamaForSequenceClassification(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="session")
def tiny_judge(tmp_path_factory):
    """A 2-layer random Llama causal LM with SmolLM2's real tokenizer and chat template (a judge backbone)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from rewardkit.data.tokens import load_tokenizer

    folder = tmp_path_factory.mktemp("tiny-judge")
    tok = load_tokenizer("smollm2")
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                         num_key_value_heads=2, max_position_embeddings=4096, bos_token_id=tok.bos_token_id,
                         eos_token_id=tok.eos_token_id, tie_word_embeddings=True)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)


@pytest.fixture
def sdpa_dtypes(monkeypatch) -> list:
    """The dtype of the query PyTorch's attention kernel receives, call by call (a spy on
    ``scaled_dot_product_attention``)."""
    import torch

    seen: list = []
    real = torch.nn.functional.scaled_dot_product_attention

    def spy(query, *args, **kwargs):
        seen.append(query.dtype)
        return real(query, *args, **kwargs)

    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", spy)
    return seen
