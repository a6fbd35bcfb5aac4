"""Likelihood rewards: the response's log-probability under a causal LM, checked against the
full model's own logits token by token; PMI is the difference of two such sums; order-invariant."""

import pytest
import torch

from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.likelihood import EMPTY_PROMPT, LikelihoodScorer, parse_likelihood_spec
from rewardkit.models.registry import load_scorer

Q = [Message("user", "What is two plus two?")]
CONVS = [(Q, "4"), (Q, "Four. Two plus two makes four, as anyone can count on their fingers."),
         ([Message("system", "Be brief."), Message("user", "Name a colour."), Message("assistant", "Red."), Message("user", "Another?")], "Blue."),
         ([Message("user", "Say hi.")], "")]


def by_hand(folder: str, prompt, response: str) -> tuple[float, int]:
    """Sum of log p(token) over the response segment of the chat template, from the whole
    conversation's logits (float64), and the number of response tokens."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    msgs = [m.to_dict() for m in prompt]
    head = tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
    full = tok.apply_chat_template(msgs + [{"role": "assistant", "content": response}], tokenize=False)
    assert full.startswith(head)
    h = tok(head, add_special_tokens=False)["input_ids"]
    f = tok(full, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([f])).logits[0].double(), -1)
    return sum(logp[i - 1, f[i]].item() for i in range(len(h), len(f))), len(f) - len(h)


def test_loglik_by_hand(tiny_judge):
    scorer = load_scorer(f"loglik:{tiny_judge}", dtype="float32")
    assert isinstance(scorer, LikelihoodScorer) and scorer.mode == "loglik"
    got = scorer.score(CONVS)
    for (prompt, response), value in zip(CONVS, got):
        want, n = by_hand(tiny_judge, prompt, response)
        assert n >= 2  # the end-of-turn marker is scored even for an empty answer
        assert value == pytest.approx(want, abs=1e-3)
    assert got[0] != got[1]


def test_pmi_and_means(tiny_judge):
    sums = load_scorer(f"loglik:{tiny_judge}", dtype="float32").score(CONVS)
    pmi = load_scorer(f"pmi:{tiny_judge}", dtype="float32").score(CONVS)
    means = load_scorer(f"loglik-mean:{tiny_judge}", dtype="float32").score(CONVS)
    pmi_means = load_scorer(f"pmi-mean:{tiny_judge}", dtype="float32").score(CONVS)
    for (prompt, response), s, p, m, pm in zip(CONVS, sums, pmi, means, pmi_means):
        alone, n = by_hand(tiny_judge, list(EMPTY_PROMPT), response)
        _, n_cond = by_hand(tiny_judge, prompt, response)
        assert n == n_cond  # the same response segment with or without the instruction
        assert p == pytest.approx(s - alone, abs=1e-3)
        assert m == pytest.approx(s / n, abs=1e-4)
        assert pm == pytest.approx((s - alone) / n, abs=1e-4)


def test_all_modes_at_once_by_hand(tiny_judge):
    """`modes` (what a bench choosing among them calls) gives all four from the full model's own
    logits, and without `unconditional` runs one pass over the conversations, not two."""
    scorer = load_scorer(f"loglik:{tiny_judge}", dtype="float32")
    every = scorer.modes(CONVS)
    assert set(every) == {"loglik", "loglik-mean", "pmi", "pmi-mean"}
    for i, (prompt, response) in enumerate(CONVS):
        s, n = by_hand(tiny_judge, prompt, response)
        alone, _ = by_hand(tiny_judge, list(EMPTY_PROMPT), response)
        want = {"loglik": s, "loglik-mean": s / n, "pmi": s - alone, "pmi-mean": (s - alone) / n}
        assert {m: every[m][i] for m in want} == pytest.approx(want, abs=1e-3)
    passes = []
    real = scorer.response_logprobs
    scorer.response_logprobs = lambda encoded, *a, **k: passes.append(len(encoded)) or real(encoded, *a, **k)
    one_pass = scorer.modes(CONVS, unconditional=False)
    assert passes == [len(CONVS)] and set(one_pass) == {"loglik", "loglik-mean"}
    assert one_pass["loglik"] == pytest.approx(every["loglik"], abs=1e-4)


def test_independent_of_batching_and_order(tiny_judge):
    one = load_scorer(f"pmi:{tiny_judge}", dtype="float32", batch_size=1).score(CONVS)
    many = load_scorer(f"pmi:{tiny_judge}", dtype="float32", batch_size=8).score(CONVS[::-1])[::-1]
    assert many == pytest.approx(one, abs=1e-4)


def test_truncation_keeps_the_response_and_counts(tiny_judge):
    long = [(Q, "word " * 300)]
    full = load_scorer(f"loglik-mean:{tiny_judge}", dtype="float32")
    cut = load_scorer(f"loglik-mean:{tiny_judge}", dtype="float32", max_length=64)
    assert full.score(long) != cut.score(long)
    assert (full.truncated, cut.truncated) == (0, 1)


def test_progress_reports_conversations(tiny_judge):
    seen = []
    load_scorer(f"pmi:{tiny_judge}", dtype="float32", batch_size=1).score(CONVS, on_batch=seen.append)
    assert sum(seen) == len(CONVS)  # two passes (with and without the instruction), shown as one


@pytest.mark.parametrize("spec", ["loglik", "loglik:", "pmi: ", "pmi-sum:smollm2", "likelihood:smollm2"])
def test_bad_specs(spec):
    with pytest.raises(RewardkitError, match="MODE:MODEL"):
        parse_likelihood_spec(spec)


def test_ensemble_member(tiny_judge, tiny_bert):
    from rewardkit.models.ensemble import EnsembleScorer

    ens = load_scorer(f"ensemble:relevance:{tiny_bert},pmi:{tiny_judge}@0.1", dtype="float32")
    assert isinstance(ens, EnsembleScorer)
    rel = load_scorer(f"relevance:{tiny_bert}").score(CONVS)
    pmi = load_scorer(f"pmi:{tiny_judge}", dtype="float32").score(CONVS)
    assert ens.score(CONVS) == pytest.approx([(a + 0.1 * b) / 1.1 for a, b in zip(rel, pmi)], abs=1e-4)


def test_likelihood_specs_train_nothing():
    from rewardkit.models.registry import is_baseline

    assert all(map(is_baseline, ["loglik:smollm2", "pmi:runs/lm", "pmi-mean:HuggingFaceTB/SmolLM2-135M-Instruct"]))
    assert not any(map(is_baseline, ["pmi", "runs/pmi", "pmi-x:smollm2"]))


def test_a_model_without_a_chat_template_is_refused_before_loading(tiny_bert, monkeypatch):
    import rewardkit.models.loading as loading

    def no_load(*a, **k):
        raise AssertionError("the weights were loaded before the tokenizer was checked")

    monkeypatch.setattr(loading, "load_causal_lm", no_load)
    with pytest.raises(RewardkitError, match="has no chat template; likelihood rewards"):
        load_scorer(f"pmi:{tiny_bert}")


def test_a_model_placed_by_device_map_stays_where_accelerate_put_it(tiny_judge):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_judge)
    model.hf_device_map = {"": "cpu"}  # what from_pretrained(device_map=...) leaves on the model
    scorer = LikelihoodScorer(model, AutoTokenizer.from_pretrained(tiny_judge), device="cuda:7")  # not moved there
    assert scorer.device == "cpu"
    assert scorer.score(CONVS[:1]) == pytest.approx(load_scorer(f"loglik:{tiny_judge}", dtype="float32").score(CONVS[:1]), abs=1e-4)
