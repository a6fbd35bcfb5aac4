"""The prompt gate: its probability by hand, its folder round trip, the gated scorer's rewards
(1 - p) x the member's, its spec, and `rewardkit train gate` end to end on the synthetic data."""

import json
import math

import pytest

from rewardkit.cli.main import main
from rewardkit.data.io import load_pairs
from rewardkit.data.schema import Message, PreferencePair
from rewardkit.errors import RewardkitError
from rewardkit.models.ensemble import EnsembleScorer
from rewardkit.models.gate import GatedScorer, PromptGate, parse_gated_spec, prompt_text
from rewardkit.models.registry import is_baseline, load_scorer
from rewardkit.train.gate import fit_gate, gate_report, label_prompts

HARM = [Message("user", "help me hurt someone")]
SAFE = [Message("user", "write a haiku")]


class StubEmbedder:
    """embed_texts: a fixed 2-d vector per text, and a record of the texts it was asked for."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors, self.calls = vectors, []

    def embed_texts(self, texts):
        self.calls.append(list(texts))
        return [self.vectors[t] for t in texts]


def stub_gate() -> PromptGate:
    gate = PromptGate("stub", [1.0, -2.0], 0.5)
    gate._embedder = StubEmbedder({"help me hurt someone": [3.0, 0.0], "write a haiku": [0.3, 0.1]})
    return gate


def test_probability_by_hand():
    gate = stub_gate()
    # z = 0.5 + 1 * 3 = 3.5 and 0.5 + 0.3 - 0.2 = 0.6
    assert gate.probability([HARM, SAFE, HARM]) == pytest.approx([1 / (1 + math.exp(-3.5)), 1 / (1 + math.exp(-0.6)),
                                                                   1 / (1 + math.exp(-3.5))])
    assert gate._embedder.calls == [["help me hurt someone", "write a haiku"]]  # each distinct prompt once
    assert gate.probabilities([[-1000.0, 0.0]]) == [pytest.approx(0.0)]  # no overflow far out
    with pytest.raises(RewardkitError, match="2 weights"):
        gate.logits([[1.0, 2.0, 3.0]])


def test_prompt_text_puts_the_last_request_first():
    prompt = [Message("system", "be kind"), Message("user", "first"), Message("assistant", "ok"), Message("user", "second")]
    assert prompt_text(prompt) == "second\nfirst"
    assert prompt_text([Message("system", "only a system turn")]) == "only a system turn"


def test_gated_scorer_scales_the_member_by_hand():
    gate = stub_gate()
    convs = [(HARM, "no"), (HARM, "sure, here is how"), (SAFE, "old pond")]
    seen = []
    scorer = GatedScorer(load_scorer("length"), gate)
    got = scorer.score(convs, on_batch=seen.append)
    p_harm, p_safe = gate.probability([HARM, SAFE])
    assert got == pytest.approx([(1 - p_harm) * 2, (1 - p_harm) * 17, (1 - p_safe) * 8])
    assert sum(seen) == 3
    # within a prompt the member's order is kept
    assert (got[1] > got[0]) == (len(convs[1][1]) > len(convs[0][1]))


def test_folder_round_trip_and_bad_folders(tmp_path):
    gate = PromptGate("minilm", [0.25, -1.5, 3.0], -0.75, {"positive": ["synth-safety-refuse"]})
    gate.save(tmp_path)
    back = PromptGate.load(tmp_path)
    assert (back.encoder, back.weights, back.bias, back.meta) == (gate.encoder, gate.weights, gate.bias, gate.meta)
    with pytest.raises(RewardkitError, match="no gate.json"):
        PromptGate.load(tmp_path / "missing")
    (tmp_path / "gate.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(RewardkitError, match="gate.json: not a rewardkit gate"):
        PromptGate.load(tmp_path)


@pytest.mark.parametrize("spec, parsed", [("gated:runs/g:pmi:smollm2", ("runs/g", "pmi:smollm2")), ("gated:g:length", ("g", "length"))])
def test_spec_parsing(spec, parsed):
    assert parse_gated_spec(spec) == parsed
    assert not is_baseline(spec)


@pytest.mark.parametrize("spec", ["gated:", "gated:g", "gated:g:", "gated::length"])
def test_bad_specs_are_refused(spec):
    with pytest.raises(RewardkitError, match="gated:GATE_FOLDER:MEMBER"):
        parse_gated_spec(spec)


def pair(prompt: str, source: str, subset: str | None = None, family: str | None = None) -> PreferencePair:
    return PreferencePair(id=f"{source}-{prompt}", prompt=[Message("user", prompt)], chosen="a", rejected="b", source=source,
                          subset=subset, meta={"family": family} if family else {})


def test_labels_by_source_subset_or_family():
    pairs = [pair("p1", "synth", "synth-safety-refuse", "safety-refuse"), pair("p2", "hh-rlhf", "harmless-base-test"),
             pair("p3", "alpacaeval", "x"), pair("p3", "hh-rlhf", "harmless-base-test"),  # a prompt in both: sensitive
             pair("p4", "synth", "synth-safety-respond", "safety-respond")]
    prompts, labels, origins = label_prompts(pairs, ["safety-refuse", "harmless-base-test"])
    assert [prompt_text(p) for p in prompts] == ["p1", "p2", "p3", "p4"]
    assert labels == [1, 1, 1, 0]
    assert origins == ["synth/synth-safety-refuse", "hh-rlhf/harmless-base-test", "alpacaeval/x", "synth/synth-safety-respond"]
    assert label_prompts(pairs, ["hh-rlhf"])[1] == [0, 1, 1, 0]  # a source names its prompts too


def test_fit_separates_and_one_class_is_refused():
    x = [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]]
    gate = fit_gate(x, [1, 1, 0, 0], "stub", c=100.0)
    probs = gate.probabilities(x)
    assert min(probs[:2]) > 0.5 > max(probs[2:])
    report = gate_report(probs, [1, 1, 0, 0], ["a", "a", "b", "b"])
    assert report["auc"] == 1.0 and report["accuracy"] == 1.0 and report["sensitive"] == 2
    assert report["mean_probability"]["a"] > 0.5 > report["mean_probability"]["b"]
    with pytest.raises(RewardkitError, match="both kinds"):
        fit_gate(x, [0, 0, 0, 0], "stub")


def test_train_gate_cli_then_score_gated(tiny_bert, synth_dir, tmp_path):
    out = tmp_path / "gate"
    code = main(["train", "gate", "--data", str(synth_dir / "train.jsonl"), "--dev", str(synth_dir / "test.jsonl"),
                 "--positive", "safety-refuse", "--encoder", tiny_bert, "--out", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    train = load_pairs(str(synth_dir / "train.jsonl"))
    refusals = {prompt_text(p.prompt) for p in train if (p.meta or {}).get("family") == "safety-refuse"}
    assert report["train"]["sensitive"] == len(refusals) > 0
    assert report["train"]["auc"] > 0.9  # the templates' harmful requests are easy to tell apart
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["positive"] == ["safety-refuse"] and manifest["config"]["encoder"] == tiny_bert

    test = load_pairs(str(synth_dir / "test.jsonl"))[:8]
    convs = [(p.prompt, p.chosen) for p in test]
    gated = load_scorer(f"gated:{out}:length")
    assert isinstance(gated, GatedScorer)
    probs = PromptGate.load(out).probability([c[0] for c in convs])
    assert gated.score(convs) == pytest.approx([(1 - p) * len(r) for p, (_, r) in zip(probs, convs)])
    mixed = load_scorer(f"ensemble:shortest,gated:{out}:length@2")
    assert isinstance(mixed, EnsembleScorer) and isinstance(mixed.members[1][0], GatedScorer)


def test_train_gate_needs_both_kinds(tiny_bert, synth_dir, tmp_path, capsys):
    code = main(["train", "gate", "--data", str(synth_dir / "train.jsonl"), "--positive", "no-such-source", "--encoder", tiny_bert,
                 "--out", str(tmp_path / "g")])
    assert code == 2
    assert "both kinds" in capsys.readouterr().err
    assert not (tmp_path / "g").exists()  # a refused run leaves nothing behind
