"""`rewardkit quickstart` end to end on a tiny model: data, training, evaluation, leaderboard."""

import json

from rewardkit.cli.main import main
from rewardkit.data.io import load_pairs


def test_quickstart_end_to_end_then_reuse(tiny_bert, tmp_path, capsys):
    out = tmp_path / "qs"
    args = ["quickstart", "--out", str(out), "--model", tiny_bert, "--n", "24", "--steps", "2", "--max-length", "64"]
    assert main(args) == 0
    first = capsys.readouterr()
    train, test = load_pairs(str(out / "data/train.jsonl")), load_pairs(str(out / "data/test.jsonl"))
    assert (len(train), len(test)) == (24, 6)
    assert {p.meta["template"] for p in train}.isdisjoint({p.meta["template"] for p in test})
    manifest = json.loads((out / "model/manifest.json").read_text())
    assert manifest["config"]["max_steps"] == 2 and manifest["config"]["length_penalty"] is None  # plain BT by default
    results = json.loads((out / "eval/results.json").read_text())
    assert results["model"] == str(out / "model") and set(results["baselines"]) == {"length", "shortest", "random"}
    assert results["pairs"] == 6 and set(results["sections"]) == {"Math", "Instructions", "Code", "Safety"}
    # the second row: the model with the verifiers, which run the code pair's two answers on the
    # prompt's example and recompute the math pair's sums, and rank the correct one first whatever
    # the 2-step model says; the units pair (correct sums, wrong conversion) stays the model's
    from rewardkit.quickstart import with_verifiers

    verified = results["also"][with_verifiers(str(out / "model"))]
    by_subset = {s: v["accuracy"] for s, v in verified["subsets"].items()}
    assert by_subset["synth-code"] == by_subset["synth-math"] == 1.0
    model = {s: v["accuracy"] for s, v in results["subsets"].items()}
    assert {s: by_subset[s] for s in by_subset if s not in ("synth-code", "synth-math")} == \
        {s: model[s] for s in model if s not in ("synth-code", "synth-math")}
    assert "| Model | Score |" in first.out and "3/3 evaluation" in first.err
    assert main(args) == 0  # same settings: the trained model is reused, not retrained
    assert "reused: trained earlier" in capsys.readouterr().err


def test_quickstart_length_penalty_and_own_data_needs_eval_data(tiny_bert, tmp_path, capsys):
    out = tmp_path / "qs"
    assert main(["quickstart", "--out", str(out), "--model", tiny_bert, "--n", "12", "--steps", "1", "--max-length", "64",
                 "--length-penalty", "0.5"]) == 0
    assert json.loads((out / "model/manifest.json").read_text())["config"]["length_penalty"] == 0.5
    assert main(["quickstart", "--out", str(tmp_path / "own"), "--data", str(out / "data/train.jsonl")]) == 2
    assert "--eval-data" in capsys.readouterr().err


def test_run_quickstart_from_python_on_own_benchmark(tiny_bert, tmp_path):
    """The flow is below cli/: a Python user runs it; eval_data alone replaces the synthetic held-out test."""
    from rewardkit.quickstart import QuickstartOptions, run_quickstart

    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"prompt": "2+2?", "chosen": "4", "rejected": "5", "subset": "mine"}) + "\n")
    lines: list[str] = []
    done = run_quickstart(QuickstartOptions(out=tmp_path / "qs", model=tiny_bert, n=12, steps=1, max_length=64,
                                            eval_data=[str(extra)]), report=lines.append)
    assert [line[:3] for line in lines] == ["1/3", "2/3", "3/3"]
    assert done["model"] == str(tmp_path / "qs" / "model") and done["train"]["steps"] == 1
    assert [r["pairs"] for r in done["results"]] == [1, 1, 1, 1, 1]  # the model, with verifiers, three baselines: extra.jsonl only
    assert done["results"][0]["model"] == done["model"] and (tmp_path / "qs/data/test.jsonl").is_file()
