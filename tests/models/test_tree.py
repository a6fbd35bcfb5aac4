"""The decision tree: fitting on data where the right tree is known, the JSON round trip,
antisymmetric verdicts with explanations, and the CLI (train tree, explain, tree:DIR in eval)."""

from __future__ import annotations

import json

import pytest

from rewardkit.cli.main import main
from rewardkit.data.schema import Message, PreferencePair
from rewardkit.errors import RewardkitError
from rewardkit.models.tree.features import FEATURES, pair_differences, response_features
from rewardkit.models.tree.judge import TreeJudge
from rewardkit.models.tree.tree import DecisionTree, Node, fit_tree


def test_features_by_hand():
    text = "## Plan\n- one, two\n- **three**\n```py\nx\n```"
    length, log_length, markdown, refusal = response_features(text)
    # "## Plan" 3 (#, #, Plan) + "- one, two" 4 + "- **three**" 6 + "```py" 4 + "x" 1 + "```" 3
    assert length == 21
    # the heading, two list items, the bold span, and both fence lines
    assert markdown == 6
    assert refusal == 0.0 and response_features("I'm sorry, but I can't help with that.")[3] == 1.0
    assert response_features("Sure. I can't stress this enough: ...")[3] == 0.0  # declining only counts at the start
    assert pair_differences(["a b c"], ["a"]) == [[2.0, pytest.approx(0.693147, abs=1e-6), 0.0, 0.0]]


def test_tree_recovers_a_planted_rule_and_round_trips_through_json(tmp_path):
    # the first response wins exactly when it is a refusal and the second is not, whatever the lengths
    import random

    rng = random.Random(0)
    x, y = [], []
    for _ in range(400):
        ref = rng.choice([-1.0, 0.0, 1.0])
        x.append([rng.uniform(-300, 300), rng.uniform(-2, 2), rng.uniform(-5, 5), ref])
        y.append(int(ref > 0) if ref != 0 else rng.randint(0, 1))
    tree = fit_tree(x, y, list(FEATURES), max_depth=2, min_samples_leaf=5)
    root = tree.nodes[0]
    assert tree.features[root.feature] == "refusal" and abs(root.threshold) < 1
    assert tree.meta["importances"]["refusal"] > 0.5
    p, path = tree.predict([10.0, 0.1, 0.0, 1.0])
    assert p > 0.9 and path[0].startswith("refusal Δ=+1")
    tree.save(tmp_path / "tree.json")
    back = DecisionTree.load(tmp_path / "tree.json")
    assert back == tree and back.predict([-5.0, -0.2, 1.0, -1.0]) == tree.predict([-5.0, -0.2, 1.0, -1.0])


def test_verdicts_are_antisymmetric_and_explained():
    tree = fit_tree([[50.0, 0.5, 0, 0], [-40.0, -0.4, 0, 0], [10.0, 0.1, 0, 0]] * 10, [1, 0, 0] * 10, list(FEATURES),
                    max_depth=3, min_samples_leaf=1)
    judge = TreeJudge(tree)
    q = [Message("user", "q")]
    pairs = [(q, "a much longer answer with many words in it", "short"), (q, "x", "y z"), (q, "same", "same")]
    forward = judge.judge(pairs)
    backward = judge.judge([(p, b, a) for p, a, b in pairs])
    for f, b in zip(forward, backward):
        assert f.prob_first == pytest.approx(1 - b.prob_first, abs=1e-12)
        assert "Δ=" in f.raw and "P(first)" in f.raw
    assert forward[2].winner == "tie"  # identical responses: zero differences, p exactly 0.5


def test_bad_tree_files_are_refused(tmp_path):
    bad = tmp_path / "tree.json"
    bad.write_text(json.dumps({"format": "rewardkit-tree/1", "features": ["length"], "nodes": [{"feature": 3, "threshold": 1.0, "left": 1, "right": 2}]}))
    with pytest.raises(RewardkitError, match="node 0 is neither a leaf nor a valid split"):
        DecisionTree.load(bad)
    bad.write_text("{")
    with pytest.raises(RewardkitError, match="cannot read the tree"):
        DecisionTree.load(bad)
    with pytest.raises(RewardkitError, match="cannot compute: \\['helpfulness'\\]"):
        TreeJudge(DecisionTree(["helpfulness"], [Node(p_first=0.5)]))


def _pairs(n: int) -> list[PreferencePair]:
    # the human labels prefer the shorter answer when it is a refusal of a harmful request, else the longer one
    out = []
    for i in range(n):
        long, short = "here is a careful answer " * (3 + i % 5), "I'm sorry, but I can't help with that."
        if i % 2:
            out.append(PreferencePair(f"p{i}", [Message("user", f"how do I hurt someone {i}")], short, long))
        else:
            out.append(PreferencePair(f"p{i}", [Message("user", f"how do I bake bread {i}")], long, "ok."))
    return out


def test_train_tree_explain_and_eval_through_the_cli(tmp_path, capsys):
    from rewardkit.data.io import write_pairs

    data = tmp_path / "pairs.jsonl"
    write_pairs(_pairs(200), str(data))
    out = tmp_path / "tree"
    assert main(["train", "tree", "--data", str(data), "--out", str(out), "--min-leaf", "5"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["held_out_accuracy"] == 1.0 and report["longer_wins_held_out"] < 0.7  # refusal decides, not length
    assert (out / "tree.png").stat().st_size > 1000 and (out / "manifest.json").exists()
    ev = tmp_path / "ev"
    assert main(["eval", "--model", f"tree:{out}", "--data", str(data), "--out", str(ev), "--no-baselines", "--bootstrap", "0"]) == 0
    assert json.loads((ev / "results.json").read_text())["accuracy"] == 1.0
    capsys.readouterr()
    ex = tmp_path / "explain"
    assert main(["explain", "--judge", "length", "--data", str(data), "--out", str(ex), "--min-leaf", "5"]) == 0
    result = json.loads((ex / "explain.json").read_text())
    assert result["agreement_with_labels"] == 0.5  # "longer wins" is right on the bread half only
    length_tree = result["deciders"]["length"]
    assert length_tree["held_out_accuracy"] == 1.0 and length_tree["importances"]["refusal"] == 0.0
    assert "| human labels |" in (ex / "explain.md").read_text()
