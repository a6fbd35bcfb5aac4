"""Attribute rewards: heads recover planted linear attributes from synthetic embeddings, the
heads' safetensors round trip, the embedding cache (each distinct text once; a rerun computes
nothing), and the pipeline end to end on a tiny BERT: train attributes -> train tree
--attributes -> tree:DIR and linear:DIR in eval, verdicts antisymmetric with explanations."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from rewardkit.cli.main import main
from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.attributes.embeddings import EmbeddingCache, embed_conversations, model_fingerprint
from rewardkit.models.attributes.heads import AttributeHeads, Head
from rewardkit.models.attributes.model import load_backbone
from rewardkit.train.attributes import fit_bt_head, fit_ridge_head


def _cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_ridge_head_recovers_a_planted_rating():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 24)) * rng.uniform(0.5, 3.0, size=24)  # unequal scales: standardisation is folded back
    w = rng.normal(size=24)
    y = x @ w + 2.0 + rng.normal(scale=0.1, size=600)
    prompts = [f"p{i // 3}" for i in range(600)]
    fitted, bias, report = fit_ridge_head(x, y, prompts)
    assert _cosine(fitted, w) > 0.99
    assert np.corrcoef(x @ fitted + bias, y)[0, 1] > 0.99
    assert report["dev_pearson"] > 0.99 and report["alpha"] in (0.1, 1.0, 10.0)


def test_bt_head_recovers_a_planted_preference_direction():
    rng = np.random.default_rng(1)
    n, dim = 3000, 16
    w = rng.normal(size=dim)
    a, b = rng.normal(size=(n, dim)), rng.normal(size=(n, dim))
    a_wins = rng.random(n) < 1 / (1 + np.exp(-(a - b) @ w))  # Bradley-Terry with the planted utility
    chosen, rejected = np.where(a_wins[:, None], a, b), np.where(a_wins[:, None], b, a)
    fitted, report = fit_bt_head(chosen, rejected, [str(i) for i in range(n)])
    assert _cosine(fitted, w) > 0.97
    # the Bayes accuracy of this BT model is ~0.85: the head gets near it on the development split
    assert report["dev_accuracy"] > 0.8


def test_heads_round_trip_through_safetensors_and_refuse_a_mismatch(tmp_path):
    heads = AttributeHeads([Head("a", "ridge", {"alpha": 1.0}), Head("b", "bt")], torch.randn(2, 8), torch.tensor([0.5, 0.0]))
    heads.save(tmp_path)
    back = AttributeHeads.load(tmp_path, [{"name": "a", "kind": "ridge", "report": {"alpha": 1.0}}, {"name": "b", "kind": "bt"}])
    x = torch.randn(3, 8)
    assert torch.allclose(back.apply(x), x @ heads.weight.T + heads.bias)
    assert back.names == ["a", "b"]
    with pytest.raises(RewardkitError, match="expected 'weight'"):
        AttributeHeads.load(tmp_path, [{"name": "a", "kind": "ridge"}])
    with pytest.raises(RewardkitError, match="expect 8-dimensional embeddings, got 16"):
        back.apply(torch.randn(1, 16))
    (tmp_path / "heads.safetensors").write_bytes(b"garbage")
    with pytest.raises(RewardkitError, match="cannot load the attribute heads"):
        AttributeHeads.load(tmp_path, [{"name": "a", "kind": "ridge"}, {"name": "b", "kind": "bt"}])


def test_embeddings_each_distinct_text_once_and_cached(tiny_bert, tmp_path):
    scorer = load_backbone(tiny_bert, batch_size=2)
    convs = [([Message("user", f"q{i % 3}")], f"answer {i % 4} " * (i + 1)) for i in range(8)] * 2  # 8 distinct, twice
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    stats: dict[str, int] = {}
    first = embed_conversations(scorer, convs, cache=cache, stats=stats)
    tokens = sum(len(e.input_ids) for e in scorer.encode(convs))
    assert first.shape == (16, 32) and stats == {"texts": 16, "distinct": 8, "cached": 0, "computed": 8, "tokens": tokens}
    assert torch.equal(first[:8], first[8:])
    stats.clear()
    again = embed_conversations(scorer, list(reversed(convs)), cache=cache, stats=stats)
    assert stats["computed"] == 0 and stats["cached"] == 8
    assert torch.allclose(again.flip(0), first, atol=1e-6)
    # mean pooling by hand for one text, unbatched: padding and batching change nothing
    enc = scorer.encode(convs[5:6])[0]
    with torch.inference_mode():
        out = scorer.model(input_ids=torch.tensor([enc.input_ids]), token_type_ids=torch.tensor([enc.token_type_ids]),
                           output_hidden_states=True)
    assert torch.allclose(out.hidden_states[-1][0].mean(0), first[5], atol=1e-3)


def test_fingerprint_ignores_the_scalar_head_and_follows_the_backbone(tiny_bert):
    scorer = load_backbone(tiny_bert, batch_size=2)
    before = model_fingerprint(scorer, "auto")
    assert before == model_fingerprint(scorer, "mean")  # "auto" is resolved: an encoder mean-pools
    assert before != model_fingerprint(scorer, "first")
    with torch.no_grad():
        scorer.model.classifier.weight.normal_()  # a hub encoder gets a new random head on every load
    assert model_fingerprint(scorer, "auto") == before
    with torch.no_grad():
        scorer.model.bert.embeddings.word_embeddings.weight[0] += 1.0  # a trained backbone is another model
    assert model_fingerprint(scorer, "auto") != before


def test_attributes_to_tree_to_eval_end_to_end(tiny_bert, synth_dir, tmp_path, capsys):
    attrs, tree_dir = tmp_path / "attrs", tmp_path / "tree"
    data = str(synth_dir / "train.jsonl")
    assert main(["train", "attributes", "--model", tiny_bert, "--data", data, "--out", str(attrs), "--batch-size", "16"]) == 0
    described = json.loads((attrs / "attributes.json").read_text())
    assert [h["name"] for h in described["heads"]] == ["correctness", "instruction_following", "safety"]
    assert {h["kind"] for h in described["heads"]} == {"bt"}
    report = json.loads((attrs / "report.json").read_text())
    assert report["embedding"]["computed"] == report["embedding"]["distinct"] > 0
    # a rerun into another folder with the same cache embeds nothing
    assert main(["train", "attributes", "--model", tiny_bert, "--data", data, "--out", str(tmp_path / "again"),
                 "--cache", str(attrs / "embeddings.sqlite")]) == 0
    assert json.loads((tmp_path / "again" / "report.json").read_text())["embedding"]["computed"] == 0

    assert main(["train", "tree", "--attributes", str(attrs), "--data", data, "--out", str(tree_dir), "--min-leaf", "5"]) == 0
    assert (tree_dir / "attributes" / "heads.safetensors").is_file() and (tree_dir / "linear.json").is_file()
    tree = json.loads((tree_dir / "tree.json").read_text())
    assert tree["features"][:3] == ["correctness", "instruction_following", "safety"]

    from rewardkit.models.registry import load_model

    judge, scorer = load_model(f"tree:{tree_dir}"), load_model(f"linear:{tree_dir}")
    items = [([Message("user", "What is 2+2?")], "4", "It is 5, clearly."), ([Message("user", "hi")], "hello there", "go away")]
    forward, backward = judge.judge(items), judge.judge([(p, b, a) for p, a, b in items])
    for f, b in zip(forward, backward):
        assert f.prob_first == pytest.approx(1 - b.prob_first)
        assert "Δ=" in f.raw and "P(first)" in f.raw
    rewards = scorer.score([(p, a) for p, a, _ in items] + [(p, b) for p, _, b in items])
    assert len(rewards) == 4 and all(np.isfinite(rewards))
    capsys.readouterr()
    for spec in (f"tree:{tree_dir}", f"linear:{tree_dir}"):
        out = tmp_path / ("eval-" + spec.split(":")[0])
        assert main(["eval", "--model", spec, "--data", str(synth_dir / "test.jsonl"), "--out", str(out), "--no-baselines"]) == 0
        assert json.loads((out / "results.json").read_text())["model"] == spec


def test_train_attributes_refuses_pairs_without_a_label(tiny_bert, tmp_path, capsys):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"id": "a", "source": "mine", "prompt": "q", "chosen": "x", "rejected": "y"}) + "\n")
    assert main(["train", "attributes", "--model", tiny_bert, "--data", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "mine.jsonl: field 'attribute': pair 'a' has no attribute label" in err
    assert not (tmp_path / "o").exists()
