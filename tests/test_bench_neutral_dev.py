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
