"""Re-running `train rm` into a folder that holds a run (issue 14, trap 2): resume only with the
same settings and data, refuse otherwise naming what differs, nothing to do for a finished run."""

from __future__ import annotations

import json

from rewardkit.cli.main import main


def train(tiny_bert, data, out, *extra):
    return main(["train", "rm", "--model", tiny_bert, "--data", str(data), "--out", str(out), "--max-steps", "3",
                 "--batch-size", "4", "--max-length", "64", "--no-bf16", "--save-steps", "2", "--logging-steps", "1", *extra])


def test_rerun_of_a_finished_run(tiny_bert, synth_dir, tmp_path, capsys):
    out = tmp_path / "rm"
    data = synth_dir / "test.jsonl"
    assert train(tiny_bert, data, out) == 0
    assert not (out / "checkpoints").exists(), "checkpoints of a finished run are removed"
    weights = (out / "model.safetensors").read_bytes()
    capsys.readouterr()
    assert train(tiny_bert, data, out) == 0
    assert "nothing to train" in capsys.readouterr().err
    assert (out / "model.safetensors").read_bytes() == weights  # no extra step at lr 0

    assert train(tiny_bert, data, out, "--loss", "hinge", "--lr", "1e-4") == 2
    err = capsys.readouterr().err
    assert "finished run with other settings" in err and "learning_rate: 3e-05 -> 0.0001" in err and "loss: 'bt' -> 'hinge'" in err
    assert "--overwrite" in err and not (out / "FAILED").exists()
    assert json.loads((out / "manifest.json").read_text())["config"]["loss"] == "bt"  # the old run is untouched

    assert train(tiny_bert, data, out, "--loss", "hinge", "--lr", "1e-4", "--overwrite", "--keep-checkpoints") == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["loss"] == "hinge" and manifest["result"]["steps"] == 3 and manifest["result"]["resumed_from"] is None
    assert (out / "checkpoints").is_dir()


def test_unfinished_run_resumes_only_with_the_same_settings(tiny_bert, synth_dir, tmp_path, capsys):
    out = tmp_path / "rm"
    data = synth_dir / "test.jsonl"
    assert train(tiny_bert, data, out, "--keep-checkpoints") == 0
    (out / "manifest.json").unlink()  # as if killed after its last checkpoint
    assert train(tiny_bert, data, out, "--lr", "1e-3") == 2
    err = capsys.readouterr().err
    assert "unfinished run with other settings (learning_rate: 3e-05 -> 0.001)" in err and "--resume" in err
    assert train(tiny_bert, data, out) == 0
    assert "checkpoint-" in json.loads((out / "manifest.json").read_text())["result"]["resumed_from"]


def test_resume_refuses_another_backbone_or_freezing(tiny_bert, synth_dir, tmp_path, capsys):
    """--resume continues a run with other schedule or loss settings, but a checkpoint holds one
    backbone's weights and optimiser state for one set of trained parameters: another
    freeze_layers used to fail inside the optimiser's load_state_dict."""
    out = tmp_path / "rm"
    data = synth_dir / "test.jsonl"
    assert train(tiny_bert, data, out, "--keep-checkpoints") == 0
    (out / "manifest.json").unlink()  # as if killed after its last checkpoint
    capsys.readouterr()
    assert train(tiny_bert, data, out, "--freeze-layers", "1", "--resume") == 2
    err = capsys.readouterr().err
    assert "--resume cannot continue (freeze_layers: 0 -> 1)" in err and "--overwrite" in err
    assert not (out / "manifest.json").exists() and (out / "checkpoints").is_dir()  # the run is left as it was
    assert train(tiny_bert, data, out, "--lr", "1e-3", "--resume") == 0  # other settings still continue
    assert "checkpoint-" in json.loads((out / "manifest.json").read_text())["result"]["resumed_from"]


def test_out_is_required(synth_dir, capsys):
    assert main(["train", "rm", "--data", str(synth_dir / "test.jsonl")]) == 2
    assert "Missing option '--out'" in capsys.readouterr().err
