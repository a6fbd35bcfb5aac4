"""`score` and `eval` under a 2-process gloo launch give what one process gives, in input order."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from rewardkit.cli.main import main
from tests.serve.conftest import free_port


def launch(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
                           "-m", "rewardkit", *args], capture_output=True, text=True, timeout=600, env=env)


def test_two_processes_score_and_evaluate_like_one(tiny_bert, synth_dir, tmp_path):
    data = str(synth_dir / "test.jsonl")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert main(["score", "--model", tiny_bert, "--data", data, "--out", str(one), "--dtype", "float32"]) == 0
    r = launch("score", "--model", tiny_bert, "--data", data, "--out", str(two), "--dtype", "float32")
    assert r.returncode == 0, r.stderr[-3000:]
    a = [json.loads(x) for x in one.read_text().splitlines()]
    b = [json.loads(x) for x in two.read_text().splitlines()]
    assert [x["id"] for x in a] == [x["id"] for x in b]
    assert max(abs(x["chosen_reward"] - y["chosen_reward"]) + abs(x["rejected_reward"] - y["rejected_reward"]) for x, y in zip(a, b)) < 1e-5
    assert json.loads((tmp_path / "two.jsonl.manifest.json").read_text())["counts"]["processes"] == 2

    r = launch("eval", "--model", tiny_bert, "--data", data, "--out", str(tmp_path / "ev2"), "--dtype", "float32", "--no-baselines",
               "--bootstrap", "0")
    assert r.returncode == 0, r.stderr[-3000:]
    assert main(["eval", "--model", tiny_bert, "--data", data, "--out", str(tmp_path / "ev1"), "--dtype", "float32", "--no-baselines",
                 "--bootstrap", "0"]) == 0
    res = [json.loads((tmp_path / d / "results.json").read_text()) for d in ("ev1", "ev2")]
    assert res[0]["subsets"] == res[1]["subsets"] and res[0]["score"] == res[1]["score"]


def test_the_process_group_is_left_at_exit_after_a_barrier(monkeypatch):
    """The group `score_sharded` opens is registered to be left at exit, and leaving waits for
    every process (a barrier) before the group is destroyed: a process that tore its connections
    down first aborted a peer still writing outputs (SIGABRT in CI)."""
    import torch.distributed as dist

    from rewardkit.models import distributed

    hooks, calls = [], []
    monkeypatch.setattr(distributed.atexit, "register", hooks.append)
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(free_port()))
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    distributed._process_group()
    try:
        assert dist.is_initialized() and hooks == [distributed._leave_process_group]
        distributed._process_group()  # already in a group: nothing opened or registered twice
        assert hooks == [distributed._leave_process_group]
        barrier, destroy = dist.barrier, dist.destroy_process_group
        monkeypatch.setattr(dist, "barrier", lambda: (calls.append("barrier"), barrier())[1])
        monkeypatch.setattr(dist, "destroy_process_group", lambda: (calls.append("destroy"), destroy())[1])
        hooks[0]()
        assert calls == ["barrier", "destroy"] and not dist.is_initialized()
        hooks[0]()  # at exit once more (e.g. the group already left): nothing to do
        assert calls == ["barrier", "destroy"]
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
