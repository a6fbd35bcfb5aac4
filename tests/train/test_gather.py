"""`gather_rows`: one process's tensors pass through; under two gloo processes every process gets
all rows in rank order (uneven counts included) and gradients reach each process's own rows."""

import os
import subprocess
import sys
import textwrap

import torch

from rewardkit.train.gather import gather_rows


def test_one_process_gets_its_tensors_back():
    a, b = torch.arange(3.0), torch.ones(3, 2)
    got = gather_rows(a, b)
    assert got[0] is a and got[1] is b


SCRIPT = textwrap.dedent("""
    import sys, pathlib, torch, torch.distributed as dist
    from rewardkit.train.gather import gather_rows
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    n = 3 if rank == 0 else 2  # uneven: a last, short batch
    x = (torch.arange(n, dtype=torch.float32) + 10 * rank).requires_grad_()
    lengths = torch.arange(n) + 100 * rank
    gx, glen = gather_rows(x, lengths)
    assert gx.tolist() == [0.0, 1.0, 2.0, 10.0, 11.0], gx
    assert glen.tolist() == [0, 1, 2, 100, 101], glen
    weights = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    (gx * weights).sum().backward()
    # both processes computed the same sum, so each row's gradient arrives from both: 2 x its weight
    # (DDP's mean over processes halves it back to the one-process gradient)
    expected = [2.0, 4.0, 6.0] if rank == 0 else [8.0, 10.0]
    assert x.grad.tolist() == expected, x.grad
    pathlib.Path(sys.argv[1], f"ok{rank}").write_text("ok")  # stdout interleaves the two processes
    dist.barrier()  # gloo can abort a process that exits while the other is still in a collective
    dist.destroy_process_group()
    # every check above has passed; skip the interpreter's teardown, where a gloo/autograd thread
    # still alive at exit once made this process abort ("terminate called without an active
    # exception", SIGABRT) after writing ok0 (CI sim, 2026-12-07)
    import os
    os._exit(0)
""")


def test_two_gloo_processes_see_all_rows_and_send_gradients_home(tmp_path):
    script = tmp_path / "gather.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", str(script), str(tmp_path)],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (tmp_path / "ok0").exists() and (tmp_path / "ok1").exists()
