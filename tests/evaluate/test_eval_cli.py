"""`rewardkit eval` end to end: the report files, RewardBench numbers on rb-open, --compare."""

import json


from rewardkit.cli.main import main


def test_length_baseline_on_rb_open_matches_reward_bench_math(shared_data, tmp_path, capsys):
    out = tmp_path / "len"
    assert main(["eval", "--model", "length", "--data", str(shared_data / "eval" / "rb-open.jsonl"), "--out", str(out), "--bootstrap", "50",
                 "--also", "exec:python"]) == 0
    result = json.loads((out / "results.json").read_text())
    got = {k: round(100 * v, 1) for k, v in result["sections"].items()}
    assert got == {"Chat": 86.9, "Chat Hard": 27.0, "Safety": 25.4, "Reasoning": 35.7}
    assert round(100 * result["score"], 1) == 43.7 and result["weighting"] == "rows-present"
    assert result["prior_sets"] is not None and result["unknown_subsets"] == []
    assert result["data"][0]["rows"] == 2158 and len(result["data"][0]["sha256"]) == 64
    baselines = result["baselines"]
    assert set(baselines) == {"shortest", "random"} and round(100 * baselines["shortest"]["score"], 1) == 46.9
    # --also: the execution reward runs only the Python answers whose prompts give examples
    # (hep-python's doctests); everywhere else both answers get 0, a tie, which a scalar scorer loses
    executed = result["also"]["exec:python"]["subsets"]
    assert executed["hep-python"]["accuracy"] > 0.6
    assert {s: v["accuracy"] for s, v in executed.items() if s != "hep-python"} == {s: 0.0 for s in executed if s != "hep-python"}
    board = (out / "leaderboard.md").read_text()
    assert "| length | 43.7 | 86.9 | 27.0 | 25.4 | 35.7 |" in board and "| exec:python |" in board
    assert sum(1 for _ in (out / "scores.jsonl").open()) == 2158
    assert {"sections.png", "accuracy_by_length.png", "margins.png", "manifest.json"} <= {p.name for p in out.iterdir()}
    assert "| length | 43.7 |" in capsys.readouterr().out


def test_eval_a_trained_model_on_synth_and_compare(tiny_bert, synth_dir, tmp_path, capsys):
    from rewardkit.train.config import RMTrainConfig
    from rewardkit.train.rm import train_reward_model

    model = tmp_path / "rm"
    train_reward_model(RMTrainConfig(model=tiny_bert, data=[str(synth_dir / "train.jsonl")], out=str(model), max_steps=4,
                                     batch_size=8, bf16=False, max_length=128), progress=False)
    out = tmp_path / "eval"
    assert main(["eval", "--model", str(model), "--data", str(synth_dir / "test.jsonl"), "--out", str(out), "--bootstrap", "20"]) == 0
    result = json.loads((out / "results.json").read_text())
    assert result["benchmark"] == "rewardkit synth" and set(result["sections"]) == {"Math", "Instructions", "Code", "Safety"}
    assert result["calibration"]["n"] == 60 and "reliability.png" in {p.name for p in out.iterdir()}
    rows = [json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines()]
    assert all(r["correct"] == float(r["chosen_reward"] > r["rejected_reward"]) for r in rows)
    capsys.readouterr()
    # a reward-bench results file (per-subset accuracies keyed by subset name) next to ours
    rb = tmp_path / "rb.json"
    rb.write_text(json.dumps({"model": "some/rm", "chat_template": None, "alpacaeval-easy": 0.9, "hep-go": 0.5}))
    assert main(["eval", "--compare", str(out / "results.json"), str(rb)]) == 0
    text = capsys.readouterr().out
    assert "| some/rm | 70.0 | - | - | - | - | 90.0 | 50.0 |" in text and str(model) in text


def test_eval_usage_errors(tmp_path):
    assert main(["eval", "--model", "length"]) == 2
    bad = tmp_path / "x.json"
    bad.write_text("[]")
    assert main(["eval", "--compare", str(bad)]) == 2
