"""The relevance baseline: cosine of instruction and response embeddings, checked against the
encoder's own mean-pooled vectors; the last user turn is the instruction; order-invariant."""

import pytest
import torch

from rewardkit.data.schema import Message
from rewardkit.models.ensemble import EnsembleScorer
from rewardkit.models.registry import load_scorer
from rewardkit.models.relevance import MAX_LENGTH, RelevanceScorer, instruction

PROMPT = [Message("user", "write a poem about the sea"), Message("assistant", "ok"), Message("user", "now about rivers")]
CONVS = [(PROMPT, "rivers run to the sea"), (PROMPT, "now about rivers"), ([Message("user", "2+2?")], "four"),
         ([Message("user", "2+2?")], "the capital of france is paris")]


def mean_pooled(folder: str, text: str) -> torch.Tensor:
    """The sentence embedding by hand: [CLS] text [SEP] through the encoder, mean over tokens."""
    from transformers import AutoModel, AutoTokenizer

    tok, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    with torch.no_grad():
        hidden = model(**tok(text, return_tensors="pt")).last_hidden_state[0]
    return hidden.mean(0)


def test_cosine_by_hand(tiny_bert):
    scorer = load_scorer(f"relevance:{tiny_bert}", batch_size=2)
    assert isinstance(scorer, RelevanceScorer)
    got = scorer.score(CONVS)
    for (prompt, response), value in zip(CONVS, got):
        a, b = mean_pooled(tiny_bert, instruction(prompt)), mean_pooled(tiny_bert, response)
        assert value == pytest.approx(float(torch.nn.functional.cosine_similarity(a, b, dim=0)), abs=1e-5)
    assert got[1] == pytest.approx(1.0, abs=1e-6)  # the response repeats the instruction


def test_last_user_turn_is_the_instruction(tiny_bert):
    scorer = load_scorer(f"relevance:{tiny_bert}")
    other_history = [Message("user", "something else entirely"), *PROMPT[1:]]
    assert scorer.score([(other_history, "x y z")]) == pytest.approx(scorer.score([(PROMPT, "x y z")]))
    assert instruction([Message("system", "be brief")]) == "be brief"  # no user turn: the whole prompt


def test_order_and_batch_invariant_with_progress(tiny_bert):
    seen: list[int] = []
    one = load_scorer(f"relevance:{tiny_bert}", batch_size=1).score(CONVS)
    shuffled = load_scorer(f"relevance:{tiny_bert}", batch_size=3).score(CONVS[::-1], on_batch=seen.append)
    assert shuffled[::-1] == pytest.approx(one, abs=1e-5)
    assert sum(seen) == len(CONVS)


def test_long_texts_are_cut_and_counted(tiny_bert):
    scorer = load_scorer(f"relevance:{tiny_bert}")
    long = " ".join(["word"] * (2 * MAX_LENGTH))
    value = scorer.score([([Message("user", long)], long + " extra")])[0]
    assert scorer.truncated == 2 and value == pytest.approx(1.0, abs=1e-5)  # both cut to the same first 255 tokens


def test_ensemble_member(tiny_bert):
    convs = CONVS[:2]
    rel = load_scorer(f"relevance:{tiny_bert}").score(convs)
    mixed = load_scorer(f"ensemble:length,relevance:{tiny_bert}@2")
    assert isinstance(mixed, EnsembleScorer)
    assert mixed.score(convs) == pytest.approx([(len(r) + 2 * v) / 3 for (_, r), v in zip(convs, rel)], abs=1e-5)
