"""`pooled_layer`: scoring a BERT computes its last layer for [CLS] alone and gets the rewards of
the full forward; outside the block, and for models it does not know, nothing changes."""

import contextlib
import copy
import pickle

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from rewardkit.data.schema import Message
from rewardkit.models.classifier import ClassifierScorer, load_sequence_classifier
from rewardkit.models.pooled_layer import PooledBertLayer, install, only_pooled_token, supports

CONVS = [
    ([Message("user", "hello how are you")], "fine thanks"),
    ([Message("system", "a b"), Message("user", "c d e f g h")], "a"),
    ([Message("user", "hello")], "fine thanks a b c d e f g h a b c d"),
    ([Message("user", "what is two plus two")], "four, and here is a much longer explanation of why that is so"),
]


def tiny(**over) -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                        num_labels=1, **over)
    return BertForSequenceClassification(config).eval()


def padded_batch():
    ids = torch.randint(5, 100, (3, 9), generator=torch.Generator().manual_seed(1))
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[1, 5:] = 0
    mask[2, 2:] = 0
    return {"input_ids": ids, "attention_mask": mask}


@pytest.mark.parametrize("impl", ["sdpa", "eager"])
def test_pooled_last_layer_gives_the_full_forwards_logits(impl):
    model = tiny()
    model.set_attn_implementation(impl)
    batch = padded_batch()
    with torch.no_grad():
        full = model(**batch)
    assert install(model) and type(model.bert.encoder.layer[-1]) is PooledBertLayer
    with torch.no_grad(), only_pooled_token():
        pooled = model(**batch)
    assert torch.allclose(pooled.logits, full.logits, atol=1e-6, rtol=0)
    # the other rows of the last layer were not computed: position 0 alone came out of the encoder
    with torch.no_grad(), only_pooled_token():
        assert model.bert(**batch).last_hidden_state.shape == (3, 1, 32)
    with torch.no_grad():  # outside the block the layer is BERT's again
        assert model.bert(**batch).last_hidden_state.shape == (3, 9, 32)
        assert torch.equal(model(**batch).logits, full.logits)


def test_installing_keeps_weights_copies_and_pickles():
    model = tiny()
    keys = list(model.state_dict())
    install(model)
    assert install(model)  # twice is once
    assert list(model.state_dict()) == keys
    twin = copy.deepcopy(model)
    again = pickle.loads(pickle.dumps(model))
    batch = padded_batch()
    with torch.no_grad(), only_pooled_token():
        assert torch.equal(twin(**batch).logits, model(**batch).logits)
        assert torch.equal(again(**batch).logits, model(**batch).logits)


def test_models_it_does_not_know_keep_their_layers(tiny_llama):
    assert not supports(tiny(is_decoder=True))
    assert not supports(tiny(chunk_size_feed_forward=4))
    llama, _ = load_sequence_classifier(tiny_llama)
    assert not install(llama)
    scorer = ClassifierScorer.load(tiny_llama, device="cpu", dtype="float32")
    assert scorer.pooled_last_layer is False


def spread_scorer(tiny_bert, bf16: bool) -> ClassifierScorer:
    """The tiny BERT with its head scaled up: a random head gives rewards ~1e-4 apart, too close for
    a tolerance to tell a wrong row from rounding."""
    model, tok = load_sequence_classifier(tiny_bert, device="cpu")
    with torch.no_grad():
        model.classifier.weight.mul_(1000.0)
    return ClassifierScorer(model, tok, name=tiny_bert, device="cpu", bf16=bf16, normalize=False)


def test_scorer_rewards_match_plain_transformers(tiny_bert):
    scorer = spread_scorer(tiny_bert, bf16=False)
    assert scorer.pooled_last_layer
    rewards = scorer.score(CONVS)
    plain = []
    with torch.no_grad():  # plain transformers, one conversation at a time, the whole last layer
        for enc in scorer.encode(CONVS):
            types = torch.tensor([enc.token_type_ids]) if enc.token_type_ids is not None else None
            plain.append(scorer.model(input_ids=torch.tensor([enc.input_ids]), token_type_ids=types).logits[0, 0].item())
    spread = max(plain) - min(plain)
    assert spread > 0.05
    assert rewards == pytest.approx(plain, abs=1e-4)
    # embeddings read every position of the last layer: mean pooling is not [CLS]
    emb = scorer.embed_encoded(scorer.encode(CONVS[:1]), pooling="mean")
    first = scorer.embed_encoded(scorer.encode(CONVS[:1]), pooling="first")
    assert not torch.allclose(emb, first)


def test_bf16_scoring_matches_the_full_layer_in_bf16(tiny_bert, monkeypatch):
    scorer = spread_scorer(tiny_bert, bf16=True)
    pooled = scorer.score(CONVS)
    monkeypatch.setattr("rewardkit.models.pooled_layer.only_pooled_token", contextlib.nullcontext)
    full = scorer.score(CONVS)
    spread = max(full) - min(full)
    assert scorer.pooled_last_layer and spread > 0.05
    assert pooled == pytest.approx(full, abs=0.02 * spread)  # a wrong row would be off by ~spread


def test_other_attention_implementations_get_the_full_layer():
    from transformers import AttentionInterface
    from transformers.integrations.sdpa_attention import sdpa_attention_forward
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register("rewardkit_test_other", sdpa_attention_forward)
    AttentionMaskInterface.register("rewardkit_test_other", sdpa_mask)
    model = tiny()
    model.set_attn_implementation("rewardkit_test_other")
    batch = padded_batch()
    with torch.no_grad():
        full = model(**batch).logits
    assert install(model)
    with torch.no_grad(), only_pooled_token():
        assert model.bert(**batch).last_hidden_state.shape == (3, 9, 32)  # not pooled
        assert torch.equal(model(**batch).logits, full)
