"""Best-of-N: a scorer picks its highest reward; a judge runs a knockout in both orders."""

from __future__ import annotations

import json

import pytest

from rewardkit.cli.main import main
from rewardkit.data.schema import Message
from rewardkit.errors import DataError
from rewardkit.models.protocols import Verdict
from rewardkit.rerank import CandidateGroup, knockout, read_candidates, rerank


def test_read_candidates_groups_by_prompt_and_cuts_to_n(tmp_path):
    path = tmp_path / "c.jsonl"
    rows = [{"prompt": "q1", "response": "a", "model": "m1"}, {"prompt": "q2", "responses": ["x", "yy"]},
            {"prompt": "q1", "response": "bbb", "model": "m2"}, {"prompt": "q1", "response": "cc", "model": "m3"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    groups = read_candidates([str(path)], n=2)
    assert [(g.prompt[0].content, g.responses) for g in groups] == [("q1", ["a", "bbb"]), ("q2", ["x", "yy"])]
    assert [e["model"] for e in groups[0].extra] == ["m1", "m2"]
    path.write_text('{"prompt": "q", "response": 3}\n')
    with pytest.raises(DataError, match=r"c\.jsonl:1: field 'response'"):
        read_candidates([str(path)])


def test_scorer_picks_the_highest_reward_earliest_on_ties():
    from rewardkit.models.registry import load_scorer

    groups = [CandidateGroup([Message("user", "q")], ["aa", "aaaa", "bbbb", "a"])]
    [pick] = rerank(load_scorer("length"), groups)
    assert pick.index == 1 and pick.scores == [2.0, 4.0, 4.0, 1.0]


class Oracle:
    """A judge that knows the best answer is the longest; asked in both orders it agrees."""

    name = "oracle"

    def __init__(self) -> None:
        self.calls = 0

    def judge(self, pairs):  # noqa: ANN001
        self.calls += 1
        return [Verdict("first" if len(a) > len(b) else "second" if len(b) > len(a) else "tie", None) for _, a, b in pairs]


def test_knockout_finds_the_best_in_n_minus_1_matches_batched_by_round():
    judge = Oracle()
    groups = [CandidateGroup([Message("user", "q")], ["a" * k for k in (3, 1, 7, 2, 5)]),
              CandidateGroup([Message("user", "r")], ["xx", "x"])]
    picks = knockout(judge, groups)
    assert [p.index for p in picks] == [2, 0]
    assert len(picks[0].matches) == 4 and len(picks[1].matches) == 1
    assert judge.calls == 3  # rounds of 5 candidates: 2 + 1 + 1 matches, each round one call


def test_rerank_cli(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"prompt": "q", "response": r}) + "\n" for r in ("short", "the longest answer", "mid one")))
    out = tmp_path / "best.jsonl"
    assert main(["rerank", "--model", "length", "--data", str(path), "--out", str(out)]) == 0
    [row] = [json.loads(x) for x in out.read_text().splitlines()]
    assert row["best"] == "the longest answer" and row["best_index"] == 1 and len(row["candidates"]) == 3
    assert main(["rerank", "--model", "length", "--data", str(path), "--out", str(path)]) == 2  # never over its input
