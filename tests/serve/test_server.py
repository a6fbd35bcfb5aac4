"""`rewardkit serve` through real HTTP: OpenRLHF's client path, native endpoints, auth, limits,
a saturated queue, and scores that do not depend on what shares a batch."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from rewardkit.data.schema import Message
from rewardkit.models.registry import load_scorer
from rewardkit.serve.app import build_app
from rewardkit.serve.client import RewardClient, ServerError
from rewardkit.serve.config import ServeConfig
from tests.serve.conftest import running

PROMPTS = ["hello", "how are you", "a b c d e f g h", "hello world"]
RESPONSES = ["fine thanks", "a b", "hello world how are you fine thanks a b c", "d"]


def post(url: str, body, headers=None):  # noqa: ANN001
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read()), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}"), dict(e.headers)


def openrlhf_request_api_wrapper(url: str, data: dict, score_key: str = "rewards"):
    """What OpenRLHF's remote reward client does (its request_api_wrapper): a plain JSON POST with
    no auth, then the `rewards` key of the answer."""
    req = urllib.request.Request(url, data=json.dumps(data).encode(), headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=180) as r:
        response = json.loads(r.read())
    assert score_key in response, f"{score_key} not in {response}"
    return response.get(score_key)


@pytest.fixture(scope="module")
def decoder(tiny_llama):
    return load_scorer(tiny_llama, dtype="float32", batch_size=3)


def chat_texts(scorer):  # noqa: ANN001 - what a policy's rollout decodes to: the chat template, whole
    tok = scorer.tokenizer
    full = [tok.apply_chat_template([{"role": "user", "content": p}, {"role": "assistant", "content": r}], tokenize=False)
            for p, r in zip(PROMPTS, RESPONSES)]
    prompts = [tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True) for p in PROMPTS]
    return full, prompts


def test_openrlhf_client_path_scores_like_rewardkit_score(decoder):
    expected = decoder.score([([Message("user", p)], r) for p, r in zip(PROMPTS, RESPONSES)])
    full, prompts = chat_texts(decoder)
    with running(build_app(decoder, ServeConfig(model="tiny"))) as url:
        rewards = openrlhf_request_api_wrapper(url + "/get_reward", {"query": full, "prompts": prompts, "labels": [0, 0, 0, 0]})
        assert rewards == pytest.approx(expected, abs=1e-5)
        padded = [t + decoder.tokenizer.pad_token * 3 for t in full]  # OpenRLHF decodes padded rollouts
        assert openrlhf_request_api_wrapper(url + "/get_reward", {"query": padded}) == pytest.approx(expected, abs=1e-5)
        status, body, _ = post(url + "/get_reward", {"query": full, "prompts": ["nope"] * 4})
        assert status == 422 and "prompts[0] is not the start of query[0]" in body["detail"]


def test_encoder_splits_the_response_off_the_prompt(tiny_bert):
    scorer = load_scorer(tiny_bert, dtype="float32")
    expected = scorer.score([([Message("user", p)], r) for p, r in zip(PROMPTS, RESPONSES)])
    with running(build_app(scorer, ServeConfig(model="bert"))) as url:
        client = RewardClient(url, batch_size=3)
        assert client.get_reward([p + r for p, r in zip(PROMPTS, RESPONSES)], PROMPTS) == pytest.approx(expected, abs=1e-5)
        status, body, _ = post(url + "/get_reward", {"query": ["hello fine"]})
        assert status == 422 and "send `prompts`" in body["detail"]
        convs = [[{"role": "user", "content": p}, {"role": "assistant", "content": r}] for p, r in zip(PROMPTS, RESPONSES)]
        assert client.score(convs) == pytest.approx(expected, abs=1e-5)
        [v] = client.judge([{"prompt": PROMPTS[0], "first": RESPONSES[0], "second": RESPONSES[1]}])
        assert v["winner"] == ("first" if v["rewards"][0] > v["rewards"][1] else "second") and 0 < v["prob_first"] < 1


def test_scores_do_not_depend_on_what_shares_the_batch(decoder):
    full, _ = chat_texts(decoder)
    expected = decoder.score([([Message("user", p)], r) for p, r in zip(PROMPTS, RESPONSES)])
    app = build_app(decoder, ServeConfig(model="tiny", max_wait_ms=20))
    with running(app) as url:
        client = RewardClient(url)

        def one(i: int) -> tuple[int, list[float]]:
            picks = [(i + k) % 4 for k in range(1 + i % 4)]
            return i, picks, client.get_reward([full[j] for j in picks])

        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(one, range(48)))
        stats = app.state.batcher.stats
    for _, picks, rewards in results:
        assert rewards == pytest.approx([expected[j] for j in picks], abs=1e-5)
    assert stats.batches < 48, "concurrent requests were batched together"


def test_auth_limits_and_malformed_bodies(decoder, monkeypatch):
    monkeypatch.setenv("RK_TEST_KEY", "s3cret")
    full, _ = chat_texts(decoder)
    config = ServeConfig(model="tiny", api_key_env="RK_TEST_KEY", max_items=3, max_chars=200)
    with running(build_app(decoder, config)) as url:
        assert post(url + "/get_reward", {"query": full[:1]})[0] == 401
        assert post(url + "/get_reward", {"query": full[:1]}, {"Authorization": "Bearer wrong"})[0] == 401
        ok = {"Authorization": "Bearer s3cret"}
        assert post(url + "/get_reward", {"query": full[:1]}, ok)[0] == 200
        assert urllib.request.urlopen(url + "/health").status == 200  # no key needed
        status, body, _ = post(url + "/get_reward", {"query": full}, ok)
        assert status == 413 and "4 items in query; at most 3" in body["detail"]
        status, body, _ = post(url + "/get_reward", {"query": ["x" * 201]}, ok)
        assert status == 413 and "query[0] has 201 characters" in body["detail"]
        for bad in (b"{not json", b'{"query": "one string"}', b"[]", b'{"conversations": 3}'):
            status, body, _ = post(url + "/get_reward", bad, ok)
            assert status == 422 and "Traceback" not in json.dumps(body)
        req = urllib.request.Request(url + "/metrics", headers=ok)
        text = urllib.request.urlopen(req).read().decode()
        assert 'rewardkit_requests_total{endpoint="/get_reward",status="401"} 2.0' in text and "rewardkit_queue_depth" in text
        models = json.loads(urllib.request.urlopen(urllib.request.Request(url + "/v1/models", headers=ok)).read())
        assert models["data"][0]["loading"]["dtype"] == "float32"


class SlowScorer:
    """A scorer that takes its time, to fill the queue."""

    name = "slow"

    def __init__(self) -> None:
        self.gate = threading.Event()

    def score(self, conversations):  # noqa: ANN001
        self.gate.wait(30)
        return [float(len(r)) for _, r in conversations]


def test_saturated_queue_answers_503_and_recovers():
    slow = SlowScorer()
    app = build_app(slow, ServeConfig(model="slow", max_queue=4, max_wait_ms=0))
    body = {"query": ["q: a", "q: bb"], "prompts": ["q: ", "q: "]}
    with running(app) as url:
        with ThreadPoolExecutor(4) as pool:
            first = pool.submit(post, url + "/get_reward", body)  # taken by the worker, which waits at the gate
            time.sleep(0.3)
            waiting = [pool.submit(post, url + "/get_reward", body) for _ in range(2)]  # fill the queue: 4 sequences
            time.sleep(0.3)
            status, detail, headers = post(url + "/get_reward", body)
            assert status == 503 and headers.get("retry-after") == "1" and "queue holds 4" in detail["detail"]
            slow.gate.set()
            assert first.result()[0] == 200 and all(w.result()[0] == 200 for w in waiting)
        assert post(url + "/get_reward", body)[1]["rewards"] == [1.0, 2.0]  # recovered
        client = RewardClient(url, max_retries=3, backoff=0.01)
        assert client.get_reward(["q: abc"], ["q: "]) == [3.0]


def test_client_retries_503_then_gives_a_clear_error():
    slow = SlowScorer()
    app = build_app(slow, ServeConfig(model="slow", max_queue=1, max_wait_ms=0))
    with running(app) as url:
        blocker = threading.Thread(target=post, args=(url + "/get_reward", {"query": ["q: a"], "prompts": ["q: "]}))
        blocker.start()
        time.sleep(0.3)
        blocker2 = threading.Thread(target=post, args=(url + "/get_reward", {"query": ["q: a"], "prompts": ["q: "]}))
        blocker2.start()
        time.sleep(0.3)
        client = RewardClient(url, max_retries=2, backoff=0.01)
        started = time.monotonic()
        with pytest.raises(ServerError, match="HTTP 503"):
            client.get_reward(["q: x"], ["q: "])
        assert client.retries == 2 and time.monotonic() - started >= 2  # waited Retry-After (1 s) twice
        slow.gate.set()
        blocker.join(10)
        blocker2.join(10)


def test_disconnected_client_is_dropped_from_the_queue():
    import socket

    slow = SlowScorer()
    app = build_app(slow, ServeConfig(model="slow", max_wait_ms=0))
    with running(app) as url:
        port = int(url.rsplit(":", 1)[1])
        first = threading.Thread(target=post, args=(url + "/get_reward", {"query": ["q: a"], "prompts": ["q: "]}))
        first.start()
        time.sleep(0.3)
        body = json.dumps({"query": ["q: gone"], "prompts": ["q: "]}).encode()
        with socket.create_connection(("127.0.0.1", port)) as s:  # send a request, then hang up before the answer
            s.sendall(b"POST /get_reward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                      + str(len(body)).encode() + b"\r\n\r\n" + body)
            time.sleep(0.3)
        time.sleep(0.5)
        slow.gate.set()
        first.join(10)
        time.sleep(0.3)
        assert app.state.batcher.stats.dropped_jobs == 1


def test_serve_cli_refuses_bad_options(capsys):
    from rewardkit.cli.main import main

    assert main(["serve", "--model", "length", "--port", "0"]) == 2
    assert main(["serve", "--model", "length", "--api-key-env", "RK_UNSET_VARIABLE_X"]) == 2
    assert "not set or empty" in capsys.readouterr().err


def test_sigterm_finishes_in_flight_work(tmp_path):
    """A real `rewardkit serve` process: a request in flight when SIGTERM arrives is answered."""
    import signal
    import subprocess
    import sys

    from tests.serve.conftest import free_port, wait_for_health

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "rewardkit", "serve", "--model", "minilm", "--allow-untrained-head",
                             "--port", str(port), "--dtype", "float32"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, proc)
        n = 96
        body = {"query": [f"q{i}: " + "word " * 400 for i in range(n)], "prompts": [f"q{i}: " for i in range(n)]}
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(post, url + "/get_reward", body)
            time.sleep(1.0)  # the batch is being scored
            proc.send_signal(signal.SIGTERM)
            status, got, _ = answer.result(timeout=300)
        assert status == 200 and len(got["rewards"]) == n
        assert proc.wait(60) in (0, 128 + signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
