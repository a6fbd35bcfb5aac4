"""A real uvicorn server on a free loopback port, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(url: str, proc=None, timeout: float = 120) -> None:  # noqa: ANN001 - a Popen, if the server is one
    """Return once ``GET /health`` answers; fail if `proc` exits first or `timeout` passes."""
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/health", timeout=1).read()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}") from None
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


@contextmanager
def running(app):  # noqa: ANN001
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", timeout_graceful_shutdown=10))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    wait_for_health(url)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture()
def serve_app():
    return running
