"""Load on `rewardkit serve`: 32 concurrent clients against one batched server, versus the same
requests sent one at a time to an unbatched server, then an overload phase.

    .venv/bin/python bench/serve_load.py [--seconds 60] [--clients 32]

Both servers are real `rewardkit serve` processes on loopback serving the embedded MiniLM (its
untrained head: throughput does not depend on the head) with the same settings; the unbatched one
has ``--max-batch-tokens 1``, so its worker takes one request at a time. Requests carry 1-4
items of mixed lengths taken from rb-open (or synthetic texts without ../shared/data).
Throughput is items scored per second; latency is per request, from the client. A failed
request is one that ended in an error after the client's retries; a lost one never answered.
The overload phase gives a small queue to 64 clients, then checks that the server still answers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RB_OPEN, free_port, write_result  # noqa: E402

from rewardkit.serve.client import RewardClient, ServerError, wait_for_health  # noqa: E402


def texts() -> list[tuple[str, str]]:
    if RB_OPEN.exists():
        from rewardkit.data.io import read_pairs

        pairs = list(read_pairs(str(RB_OPEN)))
        return [(p.prompt[-1].content, r) for p in pairs for r in (p.chosen, p.rejected)]
    rng = random.Random(0)
    return [("question " * rng.randint(5, 60), "answer " * rng.randint(5, 300)) for _ in range(2000)]


def start_server(port: int, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "rewardkit", "serve", "--model", "minilm", "--allow-untrained-head", "--port", str(port),
           "--max-length", "512", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for_health(f"http://127.0.0.1:{port}", proc)
    return proc


def drive(url: str, clients: int, seconds: float, pool: list[tuple[str, str]], seed: int, max_queue_client: bool = False) -> dict:
    lat, items, failed, retries = [], [0], [0], [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        client = RewardClient(url, max_retries=8, backoff=0.05, timeout=120)
        while time.monotonic() < stop:
            batch = [pool[rng.randrange(len(pool))] for _ in range(rng.randint(1, 4))]
            started = time.perf_counter()
            try:
                client.get_reward([p + r for p, r in batch], [p for p, _ in batch])
                ok = True
            except ServerError:
                ok = False
            with lock:
                lat.append(time.perf_counter() - started)
                items[0] += len(batch) if ok else 0
                failed[0] += not ok
        with lock:
            retries[0] += client.retries

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as ex:
        list(ex.map(worker, range(clients)))
    wall = time.perf_counter() - started
    lat.sort()
    return {"clients": clients, "seconds": round(wall, 1), "requests": len(lat), "items": items[0],
            "items_per_second": round(items[0] / wall, 1), "p50_ms": round(1000 * statistics.median(lat), 1) if lat else None,
            "p99_ms": round(1000 * lat[int(0.99 * (len(lat) - 1))], 1) if lat else None, "failed": failed[0], "retries": retries[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60, help="length of each measured phase (default: %(default)s)")
    ap.add_argument("--clients", type=int, default=32, help="concurrent clients of the batched server (default: %(default)s)")
    args = ap.parse_args()
    pool = texts()
    results = {}
    for name, extra, clients in (("batched", [], args.clients), ("unbatched", ["--max-batch-tokens", "1", "--max-wait-ms", "0"], 1)):
        port = free_port()
        proc = start_server(port, *extra)
        try:
            results[name] = drive(f"http://127.0.0.1:{port}", clients, args.seconds, pool, seed=1)
        finally:
            proc.terminate()
            results[name]["server_exit"] = proc.wait(60)
        print(name, results[name], flush=True)
    port = free_port()
    proc = start_server(port, "--max-queue", "32")
    try:
        overload = drive(f"http://127.0.0.1:{port}", 64, min(args.seconds, 20), pool, seed=2)
        after = RewardClient(f"http://127.0.0.1:{port}", max_retries=0).get_reward(["q: a"], ["q: "])
        overload["answers_after"] = len(after) == 1
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        overload["503s"] = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                               if line.startswith("rewardkit_requests_total") and 'status="503"' in line)
    finally:
        proc.terminate()
        overload["server_exit"] = proc.wait(60)
    print("overload", overload, flush=True)
    ratio = results["batched"]["items_per_second"] / max(results["unbatched"]["items_per_second"], 1e-9)
    out = {"bench": "serve_load", "seconds": args.seconds, **results, "overload": overload, "throughput_ratio": round(ratio, 2)}
    print(f"throughput: {ratio:.2f}x the unbatched server; written {write_result('serve_load', out)}")


if __name__ == "__main__":
    main()
