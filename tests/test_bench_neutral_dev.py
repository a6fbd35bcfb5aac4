"""bench/neutral_dev.py's neutral development set: every raw pair whose prompt is a development
prompt, from the curation config's sources as they are (nothing the curation chose)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from neutral_dev import neutral_pairs  # noqa: E402


def row(i, prompt, chosen="good", rejected="bad"):
    return json.dumps({"id": f"p{i}", "prompt": prompt, "chosen": f"{chosen} {i}", "rejected": f"{rejected} {i}",
                       "source": "raw-tag"}) + "\n"


def test_the_neutral_set_is_every_raw_pair_of_the_development_prompts(tmp_path):
    raw = tmp_path / "raw.jsonl"
    raw.write_text(row(0, "what is two plus two") + row(1, "what is two plus two", "four", "five")
                   + row(2, "how do magnets work")
                   + row(3, "what is two plus two", "same", "same"))  # identical responses: a flawed row
    other = tmp_path / "other.jsonl"
    other.write_text(row(4, "write a haiku about rain"))
    dev = tmp_path / "dev.jsonl"  # the curated split holds one pair of each of two prompts
    dev.write_text(row(9, "what is two plus two") + row(8, "write a haiku about rain"))
    config = tmp_path / "curate.yaml"
    config.write_text(yaml.safe_dump({"sources": [{"path": str(raw), "name": "alpaca"}, {"path": str(other)}],
                                      "steps": [{"dedup": {"threshold": 0.8}}]}))
    pairs, info = neutral_pairs(str(config), [str(dev)])
    assert [(p.id, p.source) for p in pairs] == [("p0", "alpaca"), ("p1", "alpaca"), ("p4", "raw-tag")]
    assert info == {"pairs": 3, "dev_prompts": 2, "skipped": {"identical-responses": 1}}  # the flawed row is counted, not kept


def test_bad_arguments_exit_with_a_message(tmp_path, monkeypatch, capsys):
    from neutral_dev import main

    monkeypatch.setattr(sys, "argv", ["neutral_dev.py", "--model", "just-a-folder"])
    with pytest.raises(SystemExit, match="--model: give NAME=FOLDER, got just-a-folder"):
        main()
    missing = tmp_path / "missing.yaml"
    monkeypatch.setattr(sys, "argv", ["neutral_dev.py", "--model", f"a={tmp_path}", "--curate", str(missing)])
    with pytest.raises(SystemExit, match="missing.yaml: cannot read config"):
        main()
    assert not (tmp_path / "neutral_dev.json").exists()


def test_add_keeps_the_models_measured_on_the_same_set(tmp_path, monkeypatch):
    import common
    import neutral_dev

    monkeypatch.setattr(common, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(neutral_dev, "RESULTS", tmp_path / "results")
    raw = tmp_path / "raw.jsonl"
    raw.write_text(row(0, "what is two plus two", "four, as two and two make four", "five")
                   + row(1, "how do magnets work", "fields", "magnets attract because of their fields"))
    dev = tmp_path / "dev.jsonl"
    dev.write_text(row(0, "what is two plus two") + row(1, "how do magnets work"))
    config = tmp_path / "curate.yaml"
    config.write_text(yaml.safe_dump({"sources": [{"path": str(raw)}], "steps": [{"dedup": {"threshold": 0.8}}]}))
    neutral_dev.run([("long", "length")], str(config), [str(dev)])
    neutral_dev.run([("short", "shortest")], str(config), [str(dev)], add=True)
    models = json.loads((tmp_path / "results" / "neutral_dev.json").read_text())["models"]
    assert {k: models[k]["neutral"]["all"] for k in models} == {"long": 0.5, "short": 0.5}  # each right on one pair
    assert models["long"]["neutral"]["chosen_longer"] == 1.0 and models["short"]["neutral"]["chosen_shorter"] == 1.0
    neutral_dev.run([("short", "shortest")], str(config), [str(dev)])  # without --add: only the models given
    assert set(json.loads((tmp_path / "results" / "neutral_dev.json").read_text())["models"]) == {"short"}
    dev.write_text(row(0, "what is two plus two"))  # another development split: another neutral set
    with pytest.raises(SystemExit, match="measured on another neutral set"):
        neutral_dev.run([("long", "length")], str(config), [str(dev)], add=True)
