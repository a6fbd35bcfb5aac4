"""The `rewardkit data` commands, run as a user runs them (a subprocess: exit codes and stderr)."""

import json
import subprocess
import sys

import pytest

from rewardkit.cli.main import main


def rk(*args, **kw):
    return subprocess.run([sys.executable, "-m", "rewardkit", *args], capture_output=True, text=True, timeout=300, **kw)


def test_malformed_line_is_one_line_error_exit_2(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "q", "chosen": "a", "rejected": "b"}\n{"prompt": "q", "chosen": "a", "rejected": \n')
    r = rk("data", "stats", str(bad), "--invalid", "error")
    assert r.returncode == 2
    [line] = r.stderr.strip().splitlines()
    assert line.startswith(f"rewardkit: error: {bad}:2: malformed JSON: Expecting value (column ")
    assert line.endswith("--invalid skip leaves such rows out (counted)")
    assert "Traceback" not in r.stderr
    r = rk("data", "stats", str(bad))  # stats describes data as it is: the bad row is counted, not fatal
    assert r.returncode == 0 and "skipped (not counted above): malformed-json 1" in r.stdout


def test_usage_error_exit_2():
    assert main(["data", "stats"]) == 2
    assert main(["data", "convert", "a.jsonl", "b.jsonl", "--invalid", "bogus"]) == 2


def test_synth_then_stats_json(tmp_path):
    assert main(["data", "synth", "--out", str(tmp_path), "--n", "60", "--n-test", "12", "--seed", "1"]) == 0
    r = rk("data", "stats", str(tmp_path / "train.jsonl"), str(tmp_path / "test.jsonl"), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["total"]["pairs"] == 72 and report["tokenizer"] == "minilm"
    assert [f["rows"] for f in report["read"]["files"]] == [60, 12]


def test_synth_code_twins_flag(tmp_path):
    assert main(["data", "synth", "--out", str(tmp_path), "--n", "300", "--n-test", "6", "--family", "code", "--code-twins"]) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["config"]["code_twins"] is True
    templates = {json.loads(line)["meta"]["template"] for line in (tmp_path / "train.jsonl").read_text().splitlines()}
    assert "code/sum_inclusive" in templates or "code/sum_exclusive" in templates
    r = rk("data", "synth", "--out", str(tmp_path / "no"), "--n", "10", "--family", "math", "--code-twins")
    assert r.returncode == 2 and "leave out; add code" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "no" / "train.jsonl").exists()


def test_convert_round_trip_through_formats(tmp_path):
    assert main(["data", "synth", "--out", str(tmp_path), "--n", "20", "--n-test", "6"]) == 0
    src = tmp_path / "train.jsonl"
    assert main(["data", "convert", str(src), str(tmp_path / "trl.parquet"), "--to", "trl"]) == 0
    assert main(["data", "convert", str(tmp_path / "trl.parquet"), str(tmp_path / "back.jsonl.gz")]) == 0
    from rewardkit.data.io import load_pairs

    a, b = load_pairs(str(src)), load_pairs(str(tmp_path / "back.jsonl.gz"))
    assert [(p.prompt, p.chosen, p.rejected) for p in a] == [(p.prompt, p.chosen, p.rejected) for p in b]


def test_convert_reports_skipped_rows(tmp_path):
    src = tmp_path / "d.jsonl"
    src.write_text('{"prompt": "q", "chosen": "a", "rejected": "b"}\n{"prompt": "q", "chosen": "", "rejected": "b"}\n')
    r = rk("data", "convert", str(src), str(tmp_path / "o.jsonl"), "--invalid", "skip")
    assert r.returncode == 0 and "1 pairs; skipped 1 (empty-chosen 1)" in r.stderr and "1 pairs written" in r.stderr
    r = rk("data", "convert", str(src), str(tmp_path / "o2.jsonl"))
    assert r.returncode == 2 and "d.jsonl:2: field 'chosen': the chosen response is empty" in r.stderr
    assert not (tmp_path / "o2.jsonl").exists()


def test_stats_on_the_whole_shared_pool(shared_data):
    paths = sorted(str(p) for p in (shared_data / "train").glob("*.jsonl.gz"))
    r = rk("data", "stats", *paths, "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["total"]["pairs"] == 98_767
    by_source = {s["source"]: s for s in report["sources"]}
    assert by_source["tatsu-lab/alpaca_eval"]["chosen_longer"] == pytest.approx(0.854, abs=0.001)


def test_version():
    r = rk("--version")
    assert r.returncode == 0 and r.stdout.startswith("rewardkit ")
