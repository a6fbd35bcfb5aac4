import gzip
import json
import tracemalloc

import pytest

from rewardkit.data.containers import container_of, iter_rows, parse_hub_id
from rewardkit.data.io import load_pairs, read_pairs, write_pairs
from rewardkit.data.schema import Message, PreferencePair
from rewardkit.errors import DataError


def test_malformed_json_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prompt": "q", "chosen": "a", "rejected": "b"}\n\n{"prompt": "q", "chosen": \n')
    with pytest.raises(DataError, match=r"bad\.jsonl:3: malformed JSON"):
        load_pairs(str(path))


def test_gzip_and_json_containers(tmp_path):
    rows = [{"prompt": "q", "chosen": "a", "rejected": "b"}, {"prompt": "r", "chosen": "c", "rejected": "d"}]
    gz = tmp_path / "x.jsonl.gz"
    with gzip.open(gz, "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    arr = tmp_path / "x.json"
    arr.write_text(json.dumps(rows))
    lines_as_json = tmp_path / "y.json"  # JSON Lines under a .json name is common
    lines_as_json.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for path in (gz, arr, lines_as_json):
        assert [(n, r["prompt"]) for n, r in iter_rows(str(path))] == [(1, "q"), (2, "r")]


def test_parquet_keeps_free_form_meta(tmp_path):
    pairs = [
        PreferencePair("1", [Message("user", "q")], "a", "b", source="s", meta={"x": 1}, scores={"armorm": 0.5}),
        PreferencePair("2", [Message("user", "q")], "c", "d", source="s", meta={"y": [1, "two"]}),
    ]
    path = str(tmp_path / "p.parquet")
    write_pairs(pairs, path)
    assert load_pairs(path) == pairs


def test_unknown_suffix_and_missing_file(tmp_path):
    (tmp_path / "a.csv").write_text("x")
    with pytest.raises(DataError, match="unsupported container '.csv'"):
        container_of(str(tmp_path / "a.csv"))
    with pytest.raises(DataError, match="unsupported container '.csv'"):  # not "no such file" for an output to be
        container_of(str(tmp_path / "out" / "b.csv"))
    (tmp_path / "noext").write_text("x")
    with pytest.raises(DataError, match="unknown file type"):
        container_of(str(tmp_path / "noext"))
    with pytest.raises(DataError, match="no such file"):
        list(iter_rows(str(tmp_path / "nope.jsonl")))


def test_hub_ids():
    assert container_of("allenai/reward-bench") == "hub"
    assert parse_hub_id("allenai/reward-bench:filtered") == ("allenai/reward-bench", "filtered")
    assert parse_hub_id("Skywork/Skywork-Reward-Preference-80K-v0.2") == ("Skywork/Skywork-Reward-Preference-80K-v0.2", "train")


def test_hub_offline_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError, match="Hugging Face Hub is unreachable"):
        load_pairs("allenai/reward-bench:filtered")


def test_hub_connection_failure_is_a_clear_error(monkeypatch):
    import datasets

    def unreachable(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'allenai/reward-bench' on the Hub (LocalEntryNotFoundError)")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr("rewardkit.embedded._REACHABLE", True)  # as on a machine with network
    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    with pytest.raises(DataError, match=r"allenai/reward-bench:filtered: the Hugging Face Hub is unreachable"):
        load_pairs("allenai/reward-bench:filtered")


def test_hub_rows_are_read_through_datasets(monkeypatch):
    import datasets

    rows = [{"prompt": "q", "chosen": "a", "rejected": "b", "subset": "s", "id": 1}]
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr("rewardkit.embedded._REACHABLE", True)  # as on a machine with network
    monkeypatch.setattr(datasets, "load_dataset", lambda name, split, streaming: iter(rows) if streaming else None)
    [pair] = load_pairs("allenai/reward-bench:filtered")
    assert (pair.source, pair.subset, pair.chosen) == ("allenai/reward-bench", "s", "a")


def test_reading_streams_in_bounded_memory(tmp_path):
    """~40 MB of JSONL.gz is iterated with a few MB of Python memory: rows are never all held."""
    path = tmp_path / "big.jsonl.gz"
    chunk = "x" * 2000
    with gzip.open(path, "wt", compresslevel=1) as f:
        for i in range(20_000):
            f.write(json.dumps({"id": str(i), "prompt": f"q{i}", "chosen": chunk + str(i), "rejected": chunk}) + "\n")
    tracemalloc.start()
    n = sum(1 for _ in read_pairs(str(path)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert n == 20_000
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MB while streaming {n} rows of ~4 KB"


def test_hub_unreachable_fails_fast_without_retries(monkeypatch):
    import time

    import datasets

    def never(*args, **kwargs):
        raise AssertionError("datasets must not be asked when the hub is known to be unreachable")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr("rewardkit.embedded._REACHABLE", False)
    monkeypatch.setattr(datasets, "load_dataset", never)
    started = time.perf_counter()
    with pytest.raises(DataError, match="unreachable .*give a local file"):
        load_pairs("allenai/reward-bench:filtered")
    assert time.perf_counter() - started < 5


def test_known_hub_datasets_get_their_split_and_folder(monkeypatch):
    import datasets

    calls = []

    def fake(path, split, streaming, **where):
        calls.append((path, split, where))
        return iter([{"prompt": "q", "chosen": "a", "rejected": "b", "subset": "alpacaeval-easy", "id": 1}])

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr("rewardkit.embedded._REACHABLE", True)
    monkeypatch.setattr(datasets, "load_dataset", fake)
    load_pairs("allenai/reward-bench")  # the official leaderboard's split, without naming it
    load_pairs("allenai/reward-bench:raw")
    load_pairs("Anthropic/hh-rlhf@harmless-base:test", format="rewardbench")
    load_pairs("someone/prefs@cleaned")
    assert calls == [("allenai/reward-bench", "filtered", {}), ("allenai/reward-bench", "raw", {}),
                     ("Anthropic/hh-rlhf", "test", {"data_dir": "harmless-base"}), ("someone/prefs", "train", {"name": "cleaned"})]


def test_a_later_row_that_is_not_an_object_names_its_line(tmp_path):
    # the first row fixes the format; a null later in a JSON array was a TypeError (found by the fuzz suite)
    path = tmp_path / "bench.json"
    path.write_text(json.dumps([{"id": "a", "prompt": "p", "chosen": "x", "rejected": "y", "subset": "s"}, None]))
    with pytest.raises(DataError, match=r"bench\.json:2: field '<row>': expected a JSON object, got NoneType; --invalid skip"):
        list(read_pairs([str(path)]))
    assert [p.id for p in read_pairs([str(path)], invalid="skip")] == ["a"]
