"""Regression tests for the bad-input findings (issues 14 and 15): each case as a user hits it,
through `rewardkit.cli.main.main`, checking the exit code, the one-line message and what is left
on disk."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rewardkit.cli.main import main

ROW = {"prompt": "q", "chosen": "a good answer", "rejected": "bad"}


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def good(path: Path, n: int = 4) -> Path:
    return write_jsonl(path, [{**ROW, "id": f"p{i}", "chosen": f"answer number {i} with detail"} for i in range(n)])


def run(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    return code, err


def error_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.startswith("rewardkit: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# -- data destroyed --------------------------------------------------------------------------

def test_score_refuses_to_overwrite_its_input(tmp_path, capsys):
    data = good(tmp_path / "d.jsonl")
    before = data.read_bytes()
    code, err = run(capsys, "score", "--model", "length", "--data", data, "--out", data)
    assert code == 2 and "is also an input" in error_line(err)
    assert data.read_bytes() == before


def test_convert_refuses_its_input_as_output(tmp_path, capsys):
    data = good(tmp_path / "d.jsonl")
    code, err = run(capsys, "data", "convert", data, data)
    assert code == 2 and "is also an input" in error_line(err)


# -- garbage reported as success -------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["score", "--batch-size", "-1"], ["score", "--batch-size", "0"], ["eval", "--bootstrap", "-1"],
    ["train", "rm", "--max-steps", "0"], ["score", "--invalid", "maybe"], ["judge", "--mode", "guess"],
    ["judge", "--orders", "sideways"], ["eval", "--judge-mode", "guess"],
])
def test_bad_option_values_are_usage_errors_before_any_work(tmp_path, capsys, args):
    data = good(tmp_path / "d.jsonl")
    common = {"score": ["--model", "length", "--data", data, "--out", tmp_path / "s.jsonl"],
              "eval": ["--model", "length", "--data", data, "--out", tmp_path / "e"],
              "train": ["--data", data, "--out", tmp_path / "m"],
              "judge": ["--model", tmp_path / "no-model", "--template", "skywork-critic", "--data", data, "--out", tmp_path / "j"]}
    code, err = run(capsys, *args, *common[args[0]])
    assert code == 2, err
    line = error_line(err)
    assert "--help" in line or "invalid" in line.lower()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.jsonl"], "nothing may be created"


@pytest.mark.parametrize("command", ["score", "eval", "train", "judge", "decontaminate"])
def test_empty_input_is_refused(tmp_path, capsys, command):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    out = tmp_path / "out"
    args = {"score": ["score", "--model", "length", "--data", empty, "--out", out / "s.jsonl"],
            "eval": ["eval", "--model", "length", "--data", empty, "--out", out],
            "train": ["train", "rm", "--data", empty, "--out", out, "--max-steps", "1"],
            "judge": ["judge", "--model", "x", "--template", "skywork-critic", "--data", empty, "--out", out],
            "decontaminate": ["curate", "decontaminate", "--data", empty, "--against", good(tmp_path / "b.jsonl"),
                              "--out", out, "--stats-tokenizer", "words"]}[command]
    code, err = run(capsys, *args)
    assert code == 2 and ("no pairs" in error_line(err) or "no training pairs" in error_line(err))
    assert not out.exists(), "a refused run leaves no output folder"


def test_compare_refuses_percentages_and_warns_on_different_data(tmp_path, capsys):
    base = {"model": "m", "subsets": {"s": {"accuracy": 0.5, "n": 10}}, "sections": {"Chat": 0.5}, "score": 0.5,
            "prior_sets": None, "weighting": "rows-present", "data": [{"path": "a", "sha256": "1" * 64}]}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**base, "score": 1.7}))
    code, err = run(capsys, "eval", "--compare", bad)
    assert code == 2 and "field 'score': expected an accuracy in [0, 1], got 1.7" in error_line(err)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(base))
    b.write_text(json.dumps({**base, "model": "n", "subsets": {"s": {"accuracy": 0.6, "n": 12}},
                             "data": [{"path": "a", "sha256": "2" * 64}]}))
    code = main(["eval", "--compare", str(a), str(b)])
    out = capsys.readouterr()
    assert code == 0 and "computed on different data" in out.err
    assert "| s | 10 / 12 |" in out.out  # each file's own n, not the first one's


# -- tracebacks, by family -------------------------------------------------------------------

def test_corrupt_gzip_stream_is_one_line(tmp_path, capsys):
    path = tmp_path / "d.jsonl.gz"
    blob = bytearray(gzip.compress(("\n".join(json.dumps({**ROW, "id": str(i)}) for i in range(200)) + "\n").encode()))
    blob[40:60] = b"\x00" * 20  # damage the deflate stream, not its end
    path.write_bytes(bytes(blob))
    code, err = run(capsys, "data", "stats", path, "--tokenizer", "minilm")
    assert code == 2 and "corrupt or truncated gzip stream" in error_line(err)


def test_non_utf8_in_a_json_array_names_its_line(tmp_path, capsys):
    path = tmp_path / "d.json"
    path.write_bytes(b'[\n{"prompt": "q", "chosen": "a", "rejected": "b"},\n{"prompt": "\xff", "chosen": "a", "rejected": "b"}\n]\n')
    code, err = run(capsys, "data", "convert", path, tmp_path / "o.jsonl")
    assert code == 2 and f"{path}:3: not UTF-8 text" in error_line(err)


def test_non_utf8_line_is_reported_at_its_own_line(tmp_path, capsys):
    path = tmp_path / "d.jsonl"
    lines = [json.dumps({**ROW, "id": str(i)}).encode() for i in range(10)]
    lines[6] = lines[6].replace(b"good", b"go\xe9d")
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, err = run(capsys, "data", "convert", path, tmp_path / "o.jsonl")
    assert code == 2 and f"{path}:7: not UTF-8 text: byte 0xe9" in error_line(err)
    code, err = run(capsys, "data", "convert", path, tmp_path / "o.jsonl", "--invalid", "skip")
    assert code == 0 and "skipped 1 (not-utf8 1)" in err


def test_corrupt_parquet_page_is_one_line(tmp_path, capsys):
    from rewardkit.data.io import load_pairs, write_pairs

    src = good(tmp_path / "d.jsonl", 300)
    pq = tmp_path / "d.parquet"
    write_pairs(load_pairs(str(src)), str(pq))
    blob = bytearray(pq.read_bytes())
    blob[200:600] = os.urandom(400)  # inside the first data pages; the footer stays readable
    pq.write_bytes(bytes(blob))
    code, err = run(capsys, "data", "convert", pq, tmp_path / "o.jsonl")
    assert code == 2 and "Parquet" in error_line(err)


def test_unwritable_output_folder_fails_before_work(tmp_path, capsys):
    data = good(tmp_path / "d.jsonl")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, err = run(capsys, "eval", "--model", "length", "--data", data, "--out", blocker / "sub")
    assert code == 2 and "is a file, not a folder" in error_line(err)
    code, err = run(capsys, "eval", "--model", "length", "--data", data, "--out", blocker)
    assert code == 2 and "is a file; --out names a folder" in error_line(err)
    code, err = run(capsys, "score", "--model", "length", "--data", data, "--out", tmp_path)
    assert code == 2 and "is a directory" in error_line(err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through directory permissions; only a read-only mount stops it")
def test_read_only_folder_is_one_line(tmp_path, capsys):
    data = good(tmp_path / "d.jsonl")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        code, err = run(capsys, "score", "--model", "length", "--data", data, "--out", ro / "s.jsonl")
        assert code == 2 and "cannot write here" in error_line(err)
    finally:
        ro.chmod(0o700)


def test_folders_and_missing_model_files(tmp_path, capsys):
    data = good(tmp_path / "d.jsonl")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, err = run(capsys, "score", "--model", empty, "--data", data, "--out", tmp_path / "s.jsonl")
    assert code == 2 and "a folder without model files" in error_line(err)
    code, err = run(capsys, "data", "stats", data, "--tokenizer", empty)
    assert code == 2 and "a folder without model files" in error_line(err)
    code, err = run(capsys, "data", "stats", empty)
    assert code == 2 and "is a directory" in error_line(err)


def test_unsupported_container_is_named(tmp_path, capsys):
    data = good(tmp_path / "d.jsonl")
    code, err = run(capsys, "data", "convert", data, tmp_path / "x.csv")
    assert code == 2 and "unsupported container '.csv'" in error_line(err)


# -- wrong or vague messages -----------------------------------------------------------------

def test_object_instead_of_array_says_so(tmp_path, capsys):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"rows": [ROW]}, indent=2))
    code, err = run(capsys, "data", "convert", path, tmp_path / "o.jsonl")
    assert code == 2 and "expected a JSON array of objects" in error_line(err)


def test_wrong_type_in_the_first_row_names_the_field(tmp_path, capsys):
    path = write_jsonl(tmp_path / "d.jsonl", [{**ROW, "chosen": 5}])
    code, err = run(capsys, "data", "convert", path, tmp_path / "o.jsonl")
    line = error_line(err)
    assert code == 2 and f"{path}:1: field 'chosen': expected a string" in line and "--invalid skip" in line


def test_config_type_errors_name_file_and_field(tmp_path, capsys):
    data = good(tmp_path / "d.jsonl")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("learning_rate: fast\n")
    code, err = run(capsys, "train", "rm", "--data", data, "--out", tmp_path / "m", "--config", cfg)
    assert code == 2 and f"{cfg}: field 'learning_rate': expected a number, got 'fast'" in error_line(err)
    for text, said in (("length_head: abc\n", "field 'length_head': expected a number or null, got 'abc'"),
                       ("length_head: -2\n", "field 'length_head': a weight, 0 or more (or unset), got -2")):
        cfg.write_text(text)
        code, err = run(capsys, "train", "rm", "--data", data, "--out", tmp_path / "m", "--config", cfg)
        assert code == 2 and f"{cfg}: {said}" in error_line(err) and not (tmp_path / "m").exists()
    code, err = run(capsys, "train", "rm", "--data", data, "--out", tmp_path / "m", "--length-head", "-1")
    assert code == 2 and "--length-head" in err and not (tmp_path / "m").exists()
    cfg.write_text("sources: [{path: x.jsonl}]\nseed: abc\n")
    code, err = run(capsys, "curate", cfg, "--out", tmp_path / "c")
    assert code == 2 and "field 'seed'" in error_line(err)


# -- silent acceptance -----------------------------------------------------------------------

def test_decontaminate_names_bad_rows_and_has_invalid(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [{**ROW, "id": "1"}, {"prompt": [{"role": "robot", "content": "x"}], "chosen": "a", "rejected": "b"}])
    bench = good(tmp_path / "b.jsonl")
    args = ["curate", "decontaminate", "--data", data, "--against", bench, "--stats-tokenizer", "words"]
    code, err = run(capsys, *args, "--out", tmp_path / "o1")
    assert code == 2 and f"{data}:2: field 'prompt[0].role'" in error_line(err)
    code, err = run(capsys, *args, "--out", tmp_path / "o2", "--invalid", "skip")
    assert code == 0 and "bad-role" in json.dumps(json.loads((tmp_path / "o2" / "report.json").read_text()))


def test_duplicate_ids_are_errors_by_default(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [{**ROW, "id": "x"}, {**ROW, "id": "y"}, {**ROW, "id": "x", "chosen": "other"}])
    code, err = run(capsys, "score", "--model", "length", "--data", data, "--out", tmp_path / "s.jsonl")
    assert code == 2 and f"{data}:3: field 'id': duplicate id 'x' (first at {data}:1)" in error_line(err)
    code, err = run(capsys, "score", "--model", "length", "--data", data, "--out", tmp_path / "s.jsonl", "--invalid", "skip")
    assert code == 0 and "skipped 1 (duplicate-id 1)" in err
    assert [json.loads(line)["id"] for line in (tmp_path / "s.jsonl").read_text().splitlines()] == ["x", "y"]


def test_judge_checks_options_before_loading_and_leaves_no_cache(tmp_path, capsys, tiny_judge):
    data = good(tmp_path / "d.jsonl")
    out = tmp_path / "j"
    started = time.perf_counter()
    code, err = run(capsys, "judge", "--model", tiny_judge, "--template", "skywork-critic", "--data", data, "--out", out,
                    "--mode", "bogus")
    assert code == 2 and time.perf_counter() - started < 5
    assert not out.exists()


def test_sigterm_during_convert_leaves_no_temp_file(tmp_path):
    src = tmp_path / "big.jsonl"
    with src.open("w") as f:
        for i in range(200_000):
            f.write(json.dumps({**ROW, "id": str(i), "chosen": "x" * 200}) + "\n")
    dst = tmp_path / "out" / "o.jsonl.gz"
    proc = subprocess.Popen([sys.executable, "-m", "rewardkit", "data", "convert", str(src), str(dst)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not list(dst.parent.glob(".o.jsonl.gz.tmp-*")):
        time.sleep(0.05)
    assert list(dst.parent.glob(".o.jsonl.gz.tmp-*")), "the conversion never started writing"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM and "interrupted" in err and "Traceback" not in err
    assert list(dst.parent.iterdir()) == []


def test_temp_file_of_a_killed_run_is_removed_by_the_next(tmp_path, capsys):
    dst = tmp_path / "o.jsonl"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".o.jsonl.tmp-{dead.stdout.strip()}"
    stale.write_bytes(b"x" * 1000)
    live = tmp_path / f".o.jsonl.tmp-{os.getppid()}"  # a live process's temp file is not ours to remove
    live.write_bytes(b"y")
    assert main(["data", "convert", str(good(tmp_path / "d.jsonl")), str(dst)]) == 0
    assert not stale.exists() and live.exists() and dst.exists()


# -- issue 14's traps ------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["spread", "repeated"])
def test_score_takes_every_data_file(tmp_path, form):
    a = good(tmp_path / "a.jsonl", 12)
    b = write_jsonl(tmp_path / "b.jsonl", [{**ROW, "id": f"b{i}"} for i in range(20)])
    files = [str(a), str(b)]
    data = ["--data", *files] if form == "spread" else ["--data", files[0], "--data", files[1]]
    out = tmp_path / "s.jsonl"
    assert main(["score", "--model", "length", *data, "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 32


def test_lossy_conversion_says_what_it_drops(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [{**ROW, "id": "a", "subset": "s", "meta": {"k": 1}}, {**ROW, "id": "b"}])
    code, err = run(capsys, "data", "convert", data, tmp_path / "t.jsonl", "--to", "trl")
    assert code == 0 and "trl rows have no place for: id (2 pairs), meta (1 pairs), source (2 pairs), subset (1 pairs)" in err
    code, err = run(capsys, "data", "convert", data, tmp_path / "t2.jsonl", "--to", "trl", "--lossy", "error")
    assert code == 2 and "trl rows have no place for id" in error_line(err)
    assert not (tmp_path / "t2.jsonl").exists()
    code, err = run(capsys, "data", "convert", data, tmp_path / "r.jsonl")
    assert code == 0 and "no place" not in err


def test_bare_backbone_refuses_to_score_without_the_flag(tmp_path, capsys, tiny_bert):
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    bare = tmp_path / "bare"
    torch.manual_seed(0)
    hf_logging.set_verbosity_error()
    AutoModel.from_pretrained(tiny_bert).save_pretrained(bare)  # a backbone without its score head
    hf_logging.set_verbosity_warning()
    for f in Path(tiny_bert).glob("tokenizer*"):
        (bare / f.name).write_bytes(f.read_bytes())
    data = good(tmp_path / "d.jsonl")
    code, err = run(capsys, "score", "--model", bare, "--data", data, "--out", tmp_path / "s.jsonl")
    assert code == 2 and "not a trained reward model" in error_line(err) and "--allow-untrained-head" in err
    code, err = run(capsys, "score", "--model", bare, "--data", data, "--out", tmp_path / "s.jsonl", "--allow-untrained-head")
    assert code == 0, err
    code, err = run(capsys, "score", "--model", tiny_bert, "--data", data, "--out", tmp_path / "t.jsonl")
    assert code == 0, err  # a saved sequence classifier has its head


def test_usage_errors_are_one_line(capsys):
    code, err = run(capsys, "score", "--model", "length")
    assert code == 2 and err.strip().count("\n") == 0 and err.startswith("rewardkit: error: Missing option '--data'")
