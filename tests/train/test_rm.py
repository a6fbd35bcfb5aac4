"""Reward-model training end to end on a tiny random BERT: it learns, saves a plain HF folder,
resumes exactly after a kill, and two gloo processes match one."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file

from rewardkit.data.io import load_pairs
from rewardkit.models.classifier import ClassifierScorer
from rewardkit.models.loading import bf16_supported
from rewardkit.models.protocols import pair_conversations
from rewardkit.train.config import RMTrainConfig
from rewardkit.train.rm import train_reward_model
from rewardkit.errors import RewardkitError


def config(tiny_bert, synth_dir, out, **over):
    values = dict(model=tiny_bert, data=[str(synth_dir / "train.jsonl")], out=str(out), max_steps=6, batch_size=8,
                  logging_steps=2, learning_rate=1e-3, max_length=128, save_steps=3, bf16=False, resume=True)
    values.update(over)
    return RMTrainConfig(**values)


@pytest.fixture(scope="module")
def trained(tiny_bert, synth_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("rm")
    cfg = config(tiny_bert, synth_dir, out, max_steps=40, eval_data=[str(synth_dir / "train.jsonl")], normalize=False,
                 learning_rate=3e-3, save_steps=100)
    return out, train_reward_model(cfg, progress=False)


def test_training_fits_its_data(trained):
    out, summary = trained
    losses = [h["loss"] for h in summary["log_history"] if "loss" in h]
    assert losses[-1] < losses[0]
    assert summary["eval"]["accuracy"] > 0.75  # evaluated on the training pairs: the model fits them
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["loss"] == "bt" and manifest["counts"]["train"]["pairs"] == 240
    assert manifest["counts"]["truncation"]["train"]["sequences"] == 480
    assert manifest["inputs"][0]["sha256"]


def test_saved_folder_scores_the_same_in_plain_transformers(trained, synth_dir):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    out, _ = trained
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["config.json", "manifest.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
    pairs = load_pairs(str(synth_dir / "test.jsonl"))[:12]
    model = AutoModelForSequenceClassification.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    texts = [("User: " + p.prompt[0].content, "Assistant: " + r) for p in pairs for r in (p.chosen,)]
    enc = tok([a for a, _ in texts], [b for _, b in texts], padding=True, return_tensors="pt")  # no truncation at 512
    with torch.no_grad():
        plain = model(**enc).logits[:, 0].tolist()
    ours = ClassifierScorer.load(str(out), dtype="float32", batch_size=5, max_length=512).score([(p.prompt, p.chosen) for p in pairs])
    assert ours == pytest.approx(plain, abs=1e-5)


def test_scores_do_not_depend_on_batch_size_or_order(trained, synth_dir):
    out, _ = trained
    convs = pair_conversations(load_pairs(str(synth_dir / "test.jsonl"))[:20])
    base = ClassifierScorer.load(str(out), dtype="float32", batch_size=1).score(convs)
    assert ClassifierScorer.load(str(out), dtype="float32", batch_size=7).score(convs) == pytest.approx(base, abs=1e-5)
    rev = ClassifierScorer.load(str(out), dtype="float32", batch_size=16).score(convs[::-1])
    assert rev[::-1] == pytest.approx(base, abs=1e-5)


def test_normalization_is_stored_and_applied(tiny_bert, synth_dir, tmp_path):
    cfg = config(tiny_bert, synth_dir, tmp_path, max_steps=2, normalize=True, eval_data=[str(synth_dir / "test.jsonl")])
    summary = train_reward_model(cfg, progress=False)
    stored = json.loads((tmp_path / "config.json").read_text())["rewardkit"]["normalization"]
    assert stored == {"mean": summary["normalization"]["mean"], "std": summary["normalization"]["std"]}
    convs = pair_conversations(load_pairs(str(synth_dir / "test.jsonl")))
    raw = ClassifierScorer.load(str(tmp_path), dtype="float32", normalize=False).score(convs)
    norm = ClassifierScorer.load(str(tmp_path), dtype="float32").score(convs)
    assert norm == pytest.approx([(r - stored["mean"]) / stored["std"] for r in raw], abs=1e-6)
    # normalised on this very set: mean 0, std 1 (the stats read all its 60 pairs, fewer than NORMALIZE_SAMPLE)
    assert sum(norm) / len(norm) == pytest.approx(0, abs=1e-4)


KILL = textwrap.dedent("""
    import os, signal, sys
    from transformers import TrainerCallback
    import rewardkit.train.rm as rm
    from rewardkit.train.config import RMTrainConfig
    cfg = RMTrainConfig(**__import__("json").loads(sys.argv[1]))
    kill_at = int(sys.argv[2])
    class Kill(TrainerCallback):
        def on_save(self, args, state, control, **kw):
            if state.global_step >= kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
    rm.RichProgressCallback = Kill
    rm.train_reward_model(cfg)
""")


def test_killed_and_resumed_run_matches_uninterrupted(tiny_bert, synth_dir, tmp_path):
    straight = config(tiny_bert, synth_dir, tmp_path / "a")
    train_reward_model(straight, progress=False)
    resumed = config(tiny_bert, synth_dir, tmp_path / "b")
    args = json.dumps({k: v for k, v in resumed.to_dict().items() if k != "loss_params"})
    r = subprocess.run([sys.executable, "-c", KILL, args, "3"], capture_output=True, text=True, timeout=300)
    assert r.returncode == -9, r.stderr[-2000:]
    assert not (tmp_path / "b" / "model.safetensors").exists()
    summary = train_reward_model(resumed, progress=False)
    assert summary["resumed_from"].endswith("checkpoint-3")
    a, b = load_file(tmp_path / "a" / "model.safetensors"), load_file(tmp_path / "b" / "model.safetensors")
    assert max((a[k] - b[k]).abs().max().item() for k in a) < 1e-6


DDP = textwrap.dedent("""
    import json, sys
    from rewardkit.train.config import RMTrainConfig
    from rewardkit.train.rm import train_reward_model
    train_reward_model(RMTrainConfig(**json.loads(sys.argv[1])), progress=False)
""")


@pytest.mark.parametrize("terms", [{}, {"length_penalty": 0.5, "length_head": 1.0}], ids=["bt", "length-terms"])
def test_two_gloo_processes_match_one(tiny_bert, synth_dir, tmp_path, terms):
    # the length terms are batch correlations: each process must see the other's pairs
    # (train/gather.py), or 2 x 4 pairs would be two 4-pair statistics instead of one of 8
    single = config(tiny_bert, synth_dir, tmp_path / "one", batch_size=8, resume=False, save_steps=100, **terms)
    train_reward_model(single, progress=False)
    multi = config(tiny_bert, synth_dir, tmp_path / "two", batch_size=4, resume=False, save_steps=100, **terms)
    script = tmp_path / "ddp.py"
    script.write_text(DDP)
    args = json.dumps({k: v for k, v in multi.to_dict().items() if k != "loss_params"})
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", str(script), args],
                       capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    one = json.loads((tmp_path / "one" / "manifest.json").read_text())["result"]
    two = json.loads((tmp_path / "two" / "manifest.json").read_text())["result"]
    assert two["world_size"] == 2 and one["world_size"] == 1
    steps = lambda res: [(h["step"], h["loss"], h["grad_norm"]) for h in res["log_history"] if "loss" in h]  # noqa: E731
    for (s1, l1, g1), (s2, l2, g2) in zip(steps(one), steps(two), strict=True):
        # the correlations' small denominators amplify float noise (step 2's gradient norm is ~380
        # here), so the length terms get a wider tolerance; per-process statistics miss by ~0.2
        assert s1 == s2 and l1 == pytest.approx(l2, abs=2e-4 if terms else 1e-5) and g1 == pytest.approx(g2, rel=2e-3 if terms else 1e-3)
    a, b = load_file(tmp_path / "one" / "model.safetensors"), load_file(tmp_path / "two" / "model.safetensors")
    init = load_file(os.path.join(tiny_bert, "model.safetensors"))
    # The head's bias cancels in r_chosen - r_rejected: its true gradient is exactly 0, so Adam
    # turns float noise into +-lr steps on it; Adam does the same, to a lesser degree, on any
    # coordinate whose gradient is ~0 (rare tokens' embeddings). So compare the weights as a
    # whole: the two runs' difference must be tiny next to how far training moved them.
    keys = [k for k in a if k != "classifier.bias"]
    diff = sum(((a[k] - b[k]) ** 2).sum().item() for k in keys) ** 0.5
    moved = sum(((a[k] - init[k]) ** 2).sum().item() for k in keys) ** 0.5
    assert diff < 0.01 * moved, (diff, moved)


@pytest.mark.parametrize("terms", [{}, {"length_head": 1.0, "freeze_layers": 1}], ids=["bt", "length-head-frozen"])
def test_pooled_last_layer_trains_as_the_full_forward(tiny_bert, synth_dir, tmp_path, monkeypatch, terms):
    # the loss reads [CLS] alone, so computing the last layer for it only (models/pooled_layer.py)
    # must give the same losses, gradients and weights as the full layer
    common = dict(resume=False, save_steps=100, disable_dropout=True, eval_data=[str(synth_dir / "test.jsonl")], **terms)
    pooled = train_reward_model(config(tiny_bert, synth_dir, tmp_path / "pooled", **common), progress=False)
    monkeypatch.setattr("rewardkit.train.rm.install_pooled_last_layer", lambda model: False)
    full = train_reward_model(config(tiny_bert, synth_dir, tmp_path / "full", **common), progress=False)
    assert pooled["pooled_last_layer"] is True and full["pooled_last_layer"] is False
    steps = lambda res: [(h["loss"], h["grad_norm"]) for h in res["log_history"] if "loss" in h]  # noqa: E731
    for (l1, g1), (l2, g2) in zip(steps(pooled), steps(full), strict=True):
        # float rounding only (matmuls over 1 row vs L rows block differently), as between
        # processes, and as there the length terms' correlations amplify it (on an Intel Xeon of
        # this kind: 1.04855 vs 1.04860 at one step)
        assert l1 == pytest.approx(l2, abs=2e-4 if terms else 1e-5) and g1 == pytest.approx(g2, rel=2e-3 if terms else 1e-3)
    assert pooled["eval"]["accuracy"] == full["eval"]["accuracy"] and pooled["eval"]["margin"] == pytest.approx(full["eval"]["margin"], abs=1e-4)
    a, b = load_file(tmp_path / "pooled" / "model.safetensors"), load_file(tmp_path / "full" / "model.safetensors")
    init = load_file(os.path.join(tiny_bert, "model.safetensors"))
    assert a.keys() == b.keys()
    keys = [k for k in a if k != "classifier.bias"]  # see test_two_gloo_processes_match_one
    diff = sum(((a[k] - b[k]) ** 2).sum().item() for k in keys) ** 0.5
    moved = sum(((a[k] - init[k]) ** 2).sum().item() for k in keys) ** 0.5
    assert diff < 0.01 * moved, (diff, moved)


def test_length_buckets_give_the_same_training(tiny_bert, synth_dir, tmp_path):
    one = train_reward_model(config(tiny_bert, synth_dir, tmp_path / "one", resume=False, save_steps=100), progress=False)
    three = train_reward_model(config(tiny_bert, synth_dir, tmp_path / "three", resume=False, save_steps=100, length_buckets=3), progress=False)
    steps = lambda res: [(h["loss"], h["grad_norm"]) for h in res["log_history"] if "loss" in h]  # noqa: E731
    for (l1, g1), (l3, g3) in zip(steps(one), steps(three), strict=True):
        assert l1 == pytest.approx(l3, abs=1e-6) and g1 == pytest.approx(g3, rel=1e-4)
    a, b = load_file(tmp_path / "one" / "model.safetensors"), load_file(tmp_path / "three" / "model.safetensors")
    init = load_file(os.path.join(tiny_bert, "model.safetensors"))
    keys = [k for k in a if k != "classifier.bias"]  # see test_two_gloo_processes_match_one
    diff = sum(((a[k] - b[k]) ** 2).sum().item() for k in keys) ** 0.5
    moved = sum(((a[k] - init[k]) ** 2).sum().item() for k in keys) ** 0.5
    assert diff < 0.01 * moved, (diff, moved)


def test_excluded_sources_are_left_out_of_training_and_counted(tiny_bert, synth_dir, tmp_path):
    pairs = load_pairs([str(synth_dir / "train.jsonl")])[:40]
    for i, p in enumerate(pairs):
        p.source = "kept" if i < 24 else "left-out"
    from rewardkit.data.io import write_pairs

    write_pairs(pairs, str(tmp_path / "mixed.jsonl"))
    cfg = config(tiny_bert, synth_dir, tmp_path / "rm", data=[str(tmp_path / "mixed.jsonl")], max_steps=-1, epochs=1.0,
                 save_steps=100, exclude_sources=["left-out"])
    result = train_reward_model(cfg, progress=False)
    assert result["steps"] == 3  # 24 pairs in batches of 8, not 40
    manifest = json.loads((tmp_path / "rm" / "manifest.json").read_text())
    assert manifest["counts"]["train"]["excluded_sources"] == {"left-out": 16}
    assert manifest["config"]["exclude_sources"] == ["left-out"]
    with pytest.raises(RewardkitError, match=r"exclude_sources names 'left_out', which no training pair .* carries; its sources: kept, left-out"):
        train_reward_model(config(tiny_bert, synth_dir, tmp_path / "rm2", data=[str(tmp_path / "mixed.jsonl")],
                                  exclude_sources=["left_out"]), progress=False)


def test_config_rejects_conflicts(tmp_path):
    with pytest.raises(RewardkitError, match="unknown loss 'dpo'"):
        RMTrainConfig(data=["x"], loss="dpo")
    with pytest.raises(RewardkitError, match="no training data"):
        RMTrainConfig()
    (tmp_path / "c.yaml").write_text("data: [a.jsonl]\nloss: focal\nloss_params: {gamma: 1.0}\nbatch_sizes: 3\n")
    with pytest.raises(RewardkitError, match=r"unknown settings \['batch_sizes'\]"):
        RMTrainConfig.from_sources(tmp_path / "c.yaml", {})
    (tmp_path / "c.yaml").write_text("data: [a.jsonl]\nloss: focal\nloss_params: {gamma: 1.0}\n")
    with pytest.raises(RewardkitError, match="field 'out': give the output folder"):
        RMTrainConfig.from_sources(tmp_path / "c.yaml", {})
    cfg = RMTrainConfig.from_sources(tmp_path / "c.yaml", {"loss_params": {"temperature": 3.0}, "max_steps": 5, "model": None, "out": "o"})
    assert (cfg.loss, cfg.loss_params.gamma, cfg.loss_params.temperature, cfg.max_steps, cfg.model) == ("focal", 1.0, 3.0, 5, "minilm")


@pytest.mark.skipif(not bf16_supported("cpu"), reason="this CPU has no fast bf16, so training does not autocast")
def test_bf16_training_on_a_cpu_runs_small_heads_in_fp32_and_saves_plain_sdpa(tiny_bert, synth_dir, tmp_path):
    summary = train_reward_model(config(tiny_bert, synth_dir, tmp_path / "rm", max_steps=2, bf16=True), progress=False)
    assert summary["bf16"] is True and summary["fp32_attention_backward"] is True  # tiny BERT: head dim 16
    saved = json.loads((tmp_path / "rm" / "config.json").read_text())
    assert "rewardkit" in saved and "attn_implementation" not in json.dumps(saved)  # loads anywhere as before
