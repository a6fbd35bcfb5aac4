import math

import pytest

from rewardkit.data.schema import Message, PreferencePair
from rewardkit.models.baselines import LengthScorer
from rewardkit.models.protocols import PairwiseJudge, RewardScorer, ScorerJudge, pair_conversations, pair_rewards, score_with_progress

PROMPT = [Message("user", "q")]


class Fixed:
    name = "fixed"

    def __init__(self, table):
        self.table = table

    def score(self, conversations):
        return [self.table[r] for _, r in conversations]


def test_a_scorer_is_a_judge():
    judge = ScorerJudge(Fixed({"a": 2.0, "b": 1.0, "c": 1.0}))
    assert isinstance(judge, PairwiseJudge) and isinstance(Fixed({}), RewardScorer)
    v1, v2, v3 = judge.judge([(PROMPT, "a", "b"), (PROMPT, "b", "a"), (PROMPT, "b", "c")])
    assert (v1.winner, v2.winner, v3.winner) == ("first", "second", "tie")
    assert v1.prob_first == 1 / (1 + math.exp(-1.0)) and v3.prob_first == 0.5


def test_score_with_progress_reports_every_conversation():
    seen = []
    convs = [(PROMPT, "xx"), (PROMPT, "x")]
    assert score_with_progress(LengthScorer(), convs, seen.append) == [2.0, 1.0]
    assert seen == [2]


def test_pair_rewards_undo_pair_conversations_order():
    pairs = [PreferencePair(id=str(i), prompt=PROMPT, chosen=c, rejected=r) for i, (c, r) in enumerate([("aaa", "a"), ("bb", "bbbb")])]
    convs = pair_conversations(pairs)  # every chosen conversation, then every rejected one
    assert [r for _, r in convs] == ["aaa", "bb", "a", "bbbb"]
    assert pair_rewards(LengthScorer().score(convs)) == [(3.0, 1.0), (2.0, 4.0)]
    with pytest.raises(ValueError, match="3 rewards"):
        pair_rewards([1.0, 2.0, 3.0])
