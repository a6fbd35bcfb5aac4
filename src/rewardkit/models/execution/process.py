"""Running a response's program: a fresh child process in an empty temporary folder, no
environment, a wall-clock timeout, and rlimits the child sets on itself before anything of the
response's runs; its verdict lines are marked with a nonce made for the run."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

TIMEOUT = 5.0  # seconds of wall clock per response for running its examples (building is apart)
MEMORY = 1 << 30  # bytes of address space for a child that can live in it (Python, native code)
MARK = "@@rewardkit-exec-{}@@ "  # prefixes a child's result lines, with a fresh nonce per run

# Sets the limits given as JSON in argv[1] on this process, then becomes the program in argv[2:]:
# the limits hold for it and its threads, and no preexec_fn runs in the parent (unsafe under the
# scorer's threads). A limit the platform or a container does not allow lowering is skipped: the
# parent's timeout still holds.
_LAUNCH = r"""
import json, os, sys
try:
    import resource
    for name, value in json.loads(sys.argv[1]).items():
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (ValueError, OSError, AttributeError):
            pass
except ImportError:
    pass
os.execv(sys.argv[2], sys.argv[2:])
"""


def new_mark() -> str:
    return MARK.format(secrets.token_hex(8))


def limits(cpu_seconds: float, memory: int | None = MEMORY, children: bool = False) -> dict[str, int]:
    """rlimits for a child: CPU seconds, address space (None: a runtime such as node or the JVM
    that reserves more address space than it uses; its own heap flag bounds it), file size, and
    no child processes unless `children` (a runtime's own threads count as processes there)."""
    out = {"RLIMIT_CPU": int(cpu_seconds) + 1, "RLIMIT_FSIZE": 1 << 20}
    if memory is not None:
        out["RLIMIT_AS"] = memory
    if not children:
        out["RLIMIT_NPROC"] = 0
    return out


def launched(argv: list[str], rlimits: dict[str, int]) -> list[str]:
    """`argv` run under `rlimits` (set by a launcher that then becomes the program)."""
    return [sys.executable, "-I", "-c", _LAUNCH, json.dumps(rlimits), *argv]


def run(argv: list[str], cwd: str, timeout: float, stdin: str = "", env: dict[str, str] | None = None) -> tuple[int | None, str]:
    """Run `argv` in `cwd` with `stdin`, killing it (and whatever it started) after `timeout`
    seconds; its exit code (None when killed) and its stdout. stderr is discarded."""
    posix = os.name == "posix"
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd,
                            env={} if env is None else env, text=True, errors="replace", start_new_session=posix)
    try:
        stdout, _ = proc.communicate(stdin, timeout=timeout)
        return proc.returncode, stdout
    except subprocess.TimeoutExpired:
        _kill(proc)
        stdout, _ = proc.communicate()
        return None, stdout


def _kill(proc: subprocess.Popen) -> None:
    if os.name == "posix":
        import signal

        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the session the child leads, so whatever it started goes too
            return
        except (ProcessLookupError, PermissionError):
            pass
    proc.kill()


def marked(stdout: str, mark: str) -> list[str]:
    """The payloads of `stdout`'s lines that carry `mark`, in order."""
    return [line[len(mark):] for line in stdout.split("\n") if line.startswith(mark)]
