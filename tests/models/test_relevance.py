"""The relevance baseline: cosine of instruction and response embeddings, checked against the
encoder's own mean-pooled vectors; the last user turn is the instruction; order-invariant."""

import pytest
import torch

from rewardkit.console import rescaled
from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.ensemble import EnsembleScorer
from rewardkit.models.registry import is_baseline, load_scorer
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


@pytest.mark.parametrize("spec", ["relevance:", "relevance: ", "relevancex"])
def test_bad_specs_are_refused(spec):
    with pytest.raises(RewardkitError, match="bad relevance spec"):
        RelevanceScorer.load(spec)


def test_score_names_a_missing_encoder(tmp_path, capsys):
    from rewardkit.cli.main import main

    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "q", "chosen": "a", "rejected": "b"}\n')
    assert main(["score", "--model", "relevance:" + str(tmp_path / "none"), "--data", str(data), "--out", str(tmp_path / "s.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "no such model folder" in err and "Traceback" not in err and not (tmp_path / "s.jsonl").exists()


def test_baselines_are_named():
    assert all(map(is_baseline, ["length", "shortest", "random", "random:3", "relevance", "relevance:runs/enc"]))
    assert not any(map(is_baseline, ["minilm", "runs/rm", "relevant", "ensemble:length,random"]))


@pytest.mark.parametrize("work, shown, steps, reports", [
    (6, 3, [1] * 6, [1, 1, 1]),       # an ensemble of 2 members over 3 conversations
    (3, 4, [1, 1, 1], [1, 1, 2]),     # 3 distinct texts behind 4 conversations: 4/3, 8/3, 12/3 rounded down
    (5, 5, [2, 3], [2, 3]),
])
def test_rescaled_progress_by_hand(work, shown, steps, reports):
    seen: list[int] = []
    advance = rescaled(seen.append, work, shown)
    for n in steps:
        advance(n)
    assert seen == reports and sum(seen) == shown
