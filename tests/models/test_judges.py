import pytest

from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.judges import GenerativeJudge, load_template
from rewardkit.models.judges.backends import TransformersBackend, probs_after_prefix, verdict_tokens
from rewardkit.models.judges.cache import ResponseCache
from rewardkit.models.protocols import Verdict

Q = [Message("user", "Which is right?")]
PAIRS = [(Q, "GOOD one", "bad one"), (Q, "bad two", "GOOD two"), (Q, "GOOD three", "bad three")]


class ScriptedBackend:
    """A judge backend (the protocol, not a client mock) answering by a rule, counting requests."""

    def __init__(self, rule, name="scripted"):
        self.rule, self.name, self.calls = rule, name, 0

    def _answer_a(self, chat) -> str:
        text = chat[-1]["content"]
        a = text.split("[The Start of Assistant A's Answer]\n")[1].split("\n")[0]
        b = text.split("[The Start of Assistant B's Answer]\n")[1].split("\n")[0]
        return self.rule(a, b)

    def generate(self, chats, max_new_tokens, on_done=None):
        self.calls += len(chats)
        return [self._answer_a(c) for c in chats]

    def choice_probs(self, chats, prefix, choices, on_done=None):
        self.calls += len(chats)
        return [(0.6, 0.2) if self._answer_a(c) == "[[A]]" else (0.1, 0.3) for c in chats]


def oracle(a, b):
    return "[[A]]" if "GOOD" in a else "[[B]]"


def always_a(a, b):
    return "Clearly [[A]]"


def test_both_orders_agree_for_a_consistent_judge():
    judge = GenerativeJudge(ScriptedBackend(oracle), load_template("skywork-critic"))
    verdicts = judge.judge(PAIRS)
    assert [v.winner for v in verdicts] == ["first", "second", "first"]
    assert judge.stats == {"pairs": 3, "consistency": 1.0, "first_shown_wins": 0.5, "unparsed_rate": 0.0}
    assert all(v.orders[0].winner == v.orders[1].winner for v in verdicts)
    assert "[order 2: second, first]" in verdicts[0].raw


def test_a_position_biased_judge_ties_everywhere_in_both_orders():
    backend = ScriptedBackend(always_a)
    judge = GenerativeJudge(backend, load_template("skywork-critic"))
    verdicts = judge.judge(PAIRS)
    assert backend.calls == 6  # both orders, one batch
    assert [v.winner for v in verdicts] == ["tie"] * 3
    assert judge.stats["consistency"] == 0.0 and judge.stats["first_shown_wins"] == 1.0
    given = GenerativeJudge(ScriptedBackend(always_a), load_template("skywork-critic"), orders="given").judge(PAIRS)
    assert [v.winner for v in given] == ["first"] * 3 and given[0].orders is None
    rand = GenerativeJudge(ScriptedBackend(always_a), load_template("skywork-critic"), orders="random", seed=3)
    winners = [v.winner for v in rand.judge(PAIRS * 4)]
    assert winners == ["second" if s else "first" for s in rand.swapped] and 0 < sum(rand.swapped) < 12


def test_combined_decision_rules():
    from rewardkit.models.judges import combine

    assert combine(Verdict("first", 0.8), Verdict("first", 0.6)).winner == "first"
    assert combine(Verdict("first", 0.8), Verdict("first", 0.6)).prob_first == pytest.approx(0.7)
    assert combine(Verdict("first"), Verdict("second")).winner == "tie"
    assert combine(Verdict("first"), Verdict("unparsed")).winner == "tie"
    assert combine(Verdict("unparsed"), Verdict("unparsed")).winner == "unparsed"


def test_logprob_mode_gives_probabilities_mapped_back_to_the_original_order():
    judge = GenerativeJudge(ScriptedBackend(oracle), load_template("skywork-critic"), mode="logprob")
    v = judge.judge(PAIRS[:2])
    # order 1: GOOD shown first -> P(A) = .6/.8 = .75; order 2: GOOD shown second -> P(A) = .1/.4 = .25 -> P(first) = .75
    assert v[0].orders[0].prob_first == pytest.approx(0.75) and v[0].orders[1].prob_first == pytest.approx(0.75)
    assert v[0].winner == "first" and v[0].prob_first == pytest.approx(0.75)
    assert v[1].winner == "second" and v[1].prob_first == pytest.approx(0.25)
    assert v[0].orders[0].raw == "P(A)=0.6 P(B)=0.2"


def test_logprob_needs_a_template_that_declares_it(tmp_path):
    (tmp_path / "t.jinja").write_text("{{ answer_a }} {{ answer_b }}")
    with pytest.raises(RewardkitError, match="no logprob"):
        GenerativeJudge(ScriptedBackend(oracle), load_template(str(tmp_path / "t.jinja"), verdict="tag"), mode="logprob")


def test_the_cache_resumes_without_asking_again(tmp_path):
    backend = ScriptedBackend(oracle)
    cache = ResponseCache(tmp_path / "c.sqlite")
    first = GenerativeJudge(backend, load_template("skywork-critic"), cache=cache).judge(PAIRS[:2])
    assert backend.calls == 4 and len(cache) == 4
    cache.close()
    cache = ResponseCache(tmp_path / "c.sqlite")  # a new process, same file
    again = GenerativeJudge(backend, load_template("skywork-critic"), cache=cache).judge(PAIRS)
    assert backend.calls == 4 + 2  # only the third pair's two orders were asked
    assert [v.winner for v in again[:2]] == [v.winner for v in first]
    other = GenerativeJudge(backend, load_template("mt-bench-pair"), cache=cache)
    other.judge(PAIRS[:1])
    assert backend.calls == 8  # another template is another key


def test_probs_after_prefix_reads_the_verdict_token():
    import math

    toks = [("Final", {}), (" verdict", {}), (": [[", {}), ("A", {"A": math.log(0.7), "B": math.log(0.2), " A": math.log(0.05)}), ("]]", {})]
    assert probs_after_prefix(toks, "[[", ("A", "B")) == pytest.approx((0.75, 0.2))
    assert probs_after_prefix(toks, "Verdict: <<", ("A", "B")) is None


def test_verdict_tokens_find_the_first_differing_position():
    encode = lambda text: [ord(c) for c in text]  # noqa: E731
    context, a, b = verdict_tokens(encode, "x [[", ("A", "B"))
    assert context == encode("x [[") and (a, b) == (ord("A"), ord("B"))
    with pytest.raises(RewardkitError):
        verdict_tokens(encode, "x", ("A", "AB"))


@pytest.fixture(scope="module")
def backend(tiny_judge):
    return TransformersBackend(tiny_judge, batch_size=3, bf16=False)  # exact fp32, compared with a plain forward pass


def test_transformers_logprobs_equal_an_unpadded_forward_pass(backend):
    import torch

    tpl = load_template("skywork-critic")
    chats = [tpl.render(Q, "short", "x"), tpl.render(Q, "a much longer first answer " * 5, "y"), tpl.render(Q, "z", "w")]
    batched = backend.choice_probs(chats, tpl.logprob_prefix, tpl.logprob_choices)
    for chat, (pa, pb) in zip(chats, batched):
        context, a, b = verdict_tokens(backend.encode, backend.render(chat) + "[[", ("A", "B"))
        with torch.inference_mode():
            logp = torch.log_softmax(backend.model(torch.tensor([context])).logits[0, -1].float(), -1)
        assert pa == pytest.approx(logp[a].exp().item(), rel=1e-4) and pb == pytest.approx(logp[b].exp().item(), rel=1e-4)
    backend.batch_size = 1
    one_by_one = backend.choice_probs(chats, "[[", ("A", "B"))
    assert [p for pair in one_by_one for p in pair] == pytest.approx([p for pair in batched for p in pair], rel=1e-4)
    backend.batch_size = 3


def test_bf16_verdict_probabilities_come_from_an_fp32_output_layer(tiny_judge):
    """Under bf16 autocast the body runs in bf16 but the logits are the fp32 product of the last
    hidden state and the output layer: bf16 logits would be rounded to 8 bits, and close
    verdicts would tie."""
    import torch

    judge = TransformersBackend(tiny_judge, batch_size=1, bf16=True)  # unpadded, as the reference
    tpl = load_template("skywork-critic")
    chats = [tpl.render(Q, "short", "x"), tpl.render(Q, "a much longer first answer " * 5, "y")]
    got = judge.choice_probs(chats, tpl.logprob_prefix, tpl.logprob_choices)
    head = judge.model.get_output_embeddings()
    assert "forward" not in head.__dict__  # the layer is itself again after the call
    for chat, (pa, pb) in zip(chats, got):
        context, a, b = verdict_tokens(judge.encode, judge.render(chat) + "[[", ("A", "B"))
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            hidden = judge.model(torch.tensor([context]), output_hidden_states=True).hidden_states[-1][0, -1]
            rounded = judge.model(torch.tensor([context])).logits[0, -1]
        assert rounded.dtype == torch.bfloat16  # what the verdict read before
        exact = torch.log_softmax(hidden.float() @ head.weight.float().T, -1)
        bf16 = torch.log_softmax(rounded.float(), -1)
        assert (pa, pb) == pytest.approx((exact[a].exp().item(), exact[b].exp().item()), rel=1e-5)
        assert abs(pa - bf16[a].exp().item()) > 1e-5 * pa  # so the comparison above can fail


def test_transformers_batched_generation_matches_one_by_one(backend):
    tpl = load_template("skywork-critic")
    chats = [tpl.render(Q, "short", "x"), tpl.render(Q, "a much longer first answer " * 5, "y")]
    batched = backend.generate(chats, 6)
    backend.batch_size = 1
    single = backend.generate(chats, 6)
    backend.batch_size = 3
    assert batched == single and all(isinstance(t, str) for t in batched)
    assert backend.render(chats[0]).startswith("<|im_start|>")  # the tokenizer's own chat template


@pytest.fixture(scope="module")
def gpt2_backend(tmp_path_factory):
    """Absolute position embeddings (unlike RoPE, a shifted position changes the output): the
    shared prefill must place left-padded prompts where `generate` does."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from rewardkit.data.tokens import load_tokenizer

    folder = tmp_path_factory.mktemp("tiny-gpt2")
    tok = load_tokenizer("smollm2")
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_embd=32, n_layer=2, n_head=2, n_positions=2048)).save_pretrained(folder)
    tok.save_pretrained(folder)
    return TransformersBackend(str(folder), batch_size=3, bf16=False)


@pytest.mark.parametrize("which", ["backend", "gpt2_backend"])
def test_sampling_with_a_shared_prefill_is_the_same_computation_as_plain_generate(which, request):
    """At a near-zero temperature sampling is argmax: the shared-prefill path (one prefill per
    prompt, the cache repeated for its samples, left padding in the batch) must give the tokens a
    plain one-prompt greedy `generate` gives."""
    import torch

    backend = request.getfixturevalue(which)

    tpl = load_template("skywork-critic")
    chats = [tpl.render(Q, "short", "x"), tpl.render(Q, "a much longer first answer " * 5, "y"), tpl.render(Q, "z", "w")]
    sampled = backend.sample(chats, 5, 2, 1e-6, seed=3)
    for chat, texts in zip(chats, sampled):
        ids = torch.tensor([backend.encode(backend.render(chat))])
        with torch.inference_mode():
            g = backend.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=5, do_sample=False,
                                       temperature=None, top_p=None, top_k=None, pad_token_id=backend.pad_id)
        assert texts == [backend.tokenizer.decode(g[0, ids.shape[1]:], skip_special_tokens=True)] * 2
    assert backend.sample(chats, 5, 2, 1.0, seed=3) == backend.sample(chats, 5, 2, 1.0, seed=3)  # seeded


@pytest.mark.parametrize("which", ["backend", "gpt2_backend"])
def test_the_shared_prefill_cache_continues_as_an_unpadded_forward_pass(which, request):
    """The next-token logits after the repeated cache equal a plain forward pass of each prompt
    alone (left-padded rows included): the cache holds the right keys at the right positions."""
    import torch

    backend = request.getfixturevalue(which)
    tpl = load_template("skywork-critic")
    inputs = [backend.encode(backend.render(tpl.render(Q, a, b))) for a, b in (("short", "x"), ("a much longer answer " * 6, "y"))]
    [(idx, ids, mask)] = list(backend._batches(inputs))
    with torch.inference_mode():
        cache = backend.shared_prefill(ids, mask, 2)
        positions = mask.long().cumsum(-1) - 1
        logits = backend.model(input_ids=ids.repeat_interleave(2, 0)[:, -1:], attention_mask=mask.repeat_interleave(2, 0),
                               position_ids=positions.repeat_interleave(2, 0)[:, -1:], past_key_values=cache).logits[:, -1]
        for row, i in enumerate(idx):
            alone = backend.model(input_ids=torch.tensor([inputs[i]])).logits[0, -1]
            for j in range(2):
                assert torch.allclose(logits[row * 2 + j], alone, atol=1e-4), (which, i, j)


def test_eval_reports_position_consistency_for_a_judge(tmp_path):
    from rewardkit.data.schema import PreferencePair
    from rewardkit.evaluate.report import diagnostics
    from rewardkit.evaluate.run import evaluate

    pairs = [PreferencePair(str(i), Q, c, r, subset="alpacaeval-easy") for i, (_, c, r) in enumerate(PAIRS)]
    judge = GenerativeJudge(ScriptedBackend(always_a), load_template("skywork-critic"))
    result = evaluate(judge, pairs, bootstrap=0).result
    assert result["subsets"]["alpacaeval-easy"]["accuracy"] == 0.5  # three ties
    assert result["position"]["consistency"] == 0.0 and result["position"]["first_shown_wins"] == 1.0
    assert "Position consistency: 0.0 of 3 pairs" in diagnostics(result)
