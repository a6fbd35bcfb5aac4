"""`pooled_layer`: scoring a BERT computes its last layer for [CLS] alone and gets the rewards of
the full forward; outside the block, and for models it does not know, nothing changes."""

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


@pytest.mark.parametrize("bf16", [False, True])
def test_scorer_rewards_match_plain_transformers(tiny_bert, bf16):
    scorer = ClassifierScorer.load(tiny_bert, device="cpu", dtype="float32", bf16=bf16, normalize=False)
    assert scorer.pooled_last_layer
    rewards = scorer.score(CONVS)
    model, _ = load_sequence_classifier(tiny_bert, device="cpu")
    plain = []
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for enc in scorer.encode(CONVS):
            ids = torch.tensor([enc.input_ids])
            types = torch.tensor([enc.token_type_ids]) if enc.token_type_ids is not None else None
            plain.append(model(input_ids=ids, token_type_ids=types).logits[0, 0].float().item())
    # fp32: the same numbers; bf16: one rounding apart (the scorer keeps its head in fp32)
    assert rewards == pytest.approx(plain, abs=1e-5 if not bf16 else 0.05)
    assert len(set(rewards)) == len(CONVS)
    # embeddings read every position of the last layer: mean pooling is not [CLS]
    emb = scorer.embed_encoded(scorer.encode(CONVS[:1]), pooling="mean")
    first = scorer.embed_encoded(scorer.encode(CONVS[:1]), pooling="first")
    assert not torch.allclose(emb, first)
