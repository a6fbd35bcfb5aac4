"""The hinged member: min(0, r - tau) by hand, its spec, and its composition with the gate and
the ensemble."""

import pytest

from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.gate import GatedScorer, PromptGate
from rewardkit.models.hinge import HingeScorer, hinge, parse_hinge_spec
from rewardkit.models.registry import is_baseline, load_scorer

ASK = [Message("user", "name a colour")]


def test_hinge_by_hand():
    assert hinge([3.0, 5.0, 7.5, -1.0], 5.0) == [-2.0, 0.0, 0.0, -6.0]
    assert hinge([], 1.0) == []


def test_hinged_length_scorer_by_hand():
    convs = [(ASK, "red"), (ASK, "a deep red"), (ASK, "a deep, dark, brooding red")]  # lengths 3, 10, 26
    seen = []
    got = load_scorer("hinge:10:length").score(convs, on_batch=seen.append)
    assert got == [-7.0, 0.0, 0.0]
    assert sum(seen) == 3
    # below the threshold the member's order is kept; above it the member has no say
    raw = load_scorer("length").score(convs)
    assert raw[2] > raw[1] and got[2] == got[1]


@pytest.mark.parametrize("spec, parsed", [("hinge:26.8:pmi:smollm2", (26.8, "pmi:smollm2")), ("hinge:-2.5:length", (-2.5, "length")),
                                          ("hinge:3:gated:g:relevance", (3.0, "gated:g:relevance"))])
def test_spec_parsing(spec, parsed):
    assert parse_hinge_spec(spec) == parsed
    assert not is_baseline(spec)


@pytest.mark.parametrize("spec", ["hinge:", "hinge:5", "hinge:5:", "hinge:x:length", "hinge:nan:length", "hinge:inf:length", "hinge::length"])
def test_bad_specs_are_refused(spec):
    with pytest.raises(RewardkitError, match="hinge:THRESHOLD:MEMBER"):
        load_scorer(spec)


class StubEmbedder:
    def embed_texts(self, texts):
        return [[1.0] for _ in texts]


def test_gated_hinge_and_hinged_gate_differ_by_hand():
    gate = PromptGate("stub", [0.0], 0.0)  # P = 0.5 for every prompt
    gate._embedder = StubEmbedder()
    convs = [(ASK, "red"), (ASK, "a deep red")]  # lengths 3, 10
    gated_hinge = GatedScorer(HingeScorer(load_scorer("length"), 8.0), gate).score(convs)
    hinged_gate = HingeScorer(GatedScorer(load_scorer("length"), gate), 8.0).score(convs)
    assert gated_hinge == pytest.approx([0.5 * -5.0, 0.0])
    assert hinged_gate == pytest.approx([1.5 - 8.0, 5.0 - 8.0])


def test_in_an_ensemble_by_hand():
    convs = [(ASK, "red"), (ASK, "a deep red")]
    got = load_scorer("ensemble:shortest,hinge:10:length@2").score(convs)
    # (1 * -len + 2 * min(0, len - 10)) / 3
    assert got == pytest.approx([(-3 + 2 * -7) / 3, (-10 + 0) / 3])


class CountingMember:
    """A member that says it truncated 2 conversations and carries a normalization."""

    name, truncated, normalization = "stub", 2, {"mean": 1.0, "std": 2.0}

    def score(self, conversations):
        return [float(i) for i in range(len(conversations))]


def test_wrappers_pass_the_members_truncation_and_normalization_through():
    gate = PromptGate("stub", [0.0], 0.0)
    gate._embedder = StubEmbedder()
    for scorer in (HingeScorer(CountingMember(), 1.0), GatedScorer(CountingMember(), gate)):
        assert scorer.truncated == 2 and scorer.normalization == {"mean": 1.0, "std": 2.0}
        assert scorer.margin_is_logit is False
    assert HingeScorer(CountingMember(), 1.0).score([(ASK, "a"), (ASK, "b"), (ASK, "c")]) == [-1.0, 0.0, 0.0]
