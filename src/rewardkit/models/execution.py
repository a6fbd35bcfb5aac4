"""Execution rewards: run the response's Python on the examples its prompt gives.

    scorer = load_scorer("exec:python")
    scorer.score([(prompt, response)])  # 2 * (examples passed / examples) - 1, or 0

A rule-based, verifiable reward (as RLVR trains on, and as TRL's and OpenRLHF's reward functions
take beside a model): when the prompt states what a call should return (a doctest ``>>> f(3)``
followed by its value, ``assert f(3) == 6``, or "`f(3)` should return `6`") and the response
holds Python (a fenced block, or bare code), the code runs in a child interpreter and the
reward is the fraction of the examples it gets right, mapped to [-1, 1]. A conversation without
examples or without code gets 0: the scorer abstains, and in an ``ensemble:`` the other members
decide. A body-only completion (HumanEval's convention: the response continues a signature) is
run under the signature the prompt gives, a ``def`` line or a backticked ``name(args) -> type``.

A learned reward model reads code; it does not run it. Two answers that differ by ``limit`` and
``limit + 1`` look alike to a small encoder and not to the interpreter, which is why this exists
(`bench/results/quickstart_ablation.md`).

**This runs model-written code as your user.** Each response gets a fresh ``python -I`` process
in an empty temporary folder, with no environment variables, a wall-clock timeout, and (on
POSIX) limits on CPU time, memory, file size and child processes. That stops accidents (endless
loops, runaway allocations), not an adversary: score untrusted policies' outputs inside a
container or VM. The same holds for the verdicts: they come back on lines marked with a nonce
made for the run, and more verdicts than examples fail them all, so code that prints verdicts of
its own has to read the nonce out of the child first; a policy trained against this reward can
still learn to, and to special-case the prompt's examples (every test-based reward's weakness).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from rewardkit.errors import RewardkitError
from rewardkit.models.protocols import Conversation

PREFIX = "exec:"
LANGUAGES = ("python",)
TIMEOUT = 5.0  # seconds of wall clock per response, all its examples together
MEMORY = 1 << 30  # bytes of address space for the child
MARK = "@@rewardkit-exec-{}@@ "  # prefixes the child's result lines, with a fresh nonce per run


@dataclass(frozen=True)
class Check:
    """One example: the call (Python source) and the value it should return (a literal's source)."""

    call: str
    expected: str


# "`f(3)` should return `6`", "`f(3)` returns `6`", "`f(3)` -> `6`", "`f(3)` == `6`", "`f(3)` gives `6`"
_STATED = re.compile(r"`([^`\n]+\))`\s*(?:should return|must return|returns|should give|gives|->|==|=>)\s*`([^`\n]+)`")
# a line "f(3) => 6" (also ==>, ->, ➞, ==, "should return", "returns"): docstrings' example notation
_LINE = re.compile(r"^[ \t]*(?:[-*][ \t]+)?([A-Za-z_]\w*\(.*\))[ \t]*(?:==>|=>|->|➞|==|should return|returns)[ \t]*(.+?)[ \t]*$", re.MULTILINE)
_ASSERT = re.compile(r"^\s*assert\s+(.+?)\s*==\s*(.+?)\s*$", re.MULTILINE)
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.DOTALL)
_DEF_LINE = re.compile(r"^(def\s+([A-Za-z_]\w*)\s*\(.*?\)\s*(?:->\s*[^:]+)?:)\s*$", re.MULTILINE)
_SIGNATURE = re.compile(r"`([A-Za-z_]\w*)\s*(\([^`\n]*\))\s*(->\s*[^`\n]+)?`")


def _called(call: str) -> str | None:
    """The name of the function `call` calls (``f(...)`` with a plain name), else None."""
    try:
        node = ast.parse(call.strip(), mode="eval").body
    except SyntaxError:
        return None
    return node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None


def _literal(source: str) -> bool:
    try:
        ast.literal_eval(source.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def prompt_checks(prompt: str) -> list[Check]:
    """The examples `prompt` states, duplicates once: doctests (``>>> call`` then the value on the
    next line), ``assert call == value`` lines, "`call` should return `value`", and lines
    ``call => value`` (or ``==>``, ``->``, ``➞``, ``==``, "should return", "returns"). Only
    calls of a named function with a literal expected value count."""
    found: list[Check] = []
    lines = prompt.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">>> ") and i + 1 < len(lines):
            value = lines[i + 1].strip()
            if value and not value.startswith(">>>"):
                found.append(Check(stripped[4:].strip(), value))
    found += [Check(c.strip(), v.strip()) for c, v in _ASSERT.findall(prompt)]
    found += [Check(c.strip(), v.strip()) for c, v in _STATED.findall(prompt)]
    found += [Check(c.strip(), v.strip().rstrip(".,;")) for c, v in _LINE.findall(prompt)]
    out: list[Check] = []
    for check in found:
        if check not in out and _called(check.call) and _literal(check.expected):
            out.append(check)
    return out


def _defines(code: str, name: str) -> bool:
    return re.search(rf"^\s*def\s+{re.escape(name)}\s*\(", code, re.MULTILINE) is not None


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _signature(prompt: str, name: str) -> str | None:
    """The ``def`` line for `name` that `prompt` gives: a ``def`` line itself, or a backticked
    ``name(args) -> type``."""
    for line, found in _DEF_LINE.findall(prompt):
        if found == name:
            return line
    for found, args, returns in _SIGNATURE.findall(prompt):
        if found == name:
            return f"def {name}{args}{' ' + returns.strip() if returns else ''}:"
    return None


def response_code(prompt: str, response: str, function: str) -> str | None:
    """The Python to run for `response`: its fenced Python blocks (``python``, ``py`` or
    unlabelled) that parse, else the whole response when it parses; a body that does not define
    `function` runs under the signature the prompt gives. None when there is no code to run.

    A block that defines `function` and does not parse is returned as it is: the response's
    code is broken, and running it fails every example. Other blocks that do not parse (a
    console session, output) are left out."""
    blocks = [body for lang, body in _FENCE.findall(response) if lang.lower() in ("", "python", "py", "python3")]
    broken = [b for b in blocks if not _parses(b)]
    if any(_defines(b, function) for b in broken):
        return next(b for b in broken if _defines(b, function)).rstrip()
    if blocks:
        code = "\n".join(b.rstrip() for b in blocks if _parses(b))
    else:
        code = response if _parses(response) or _signature(prompt, function) else ""
    if _defines(code, function):
        return code
    signature = _signature(prompt, function)
    if signature is None or not code.strip():
        return None
    lines = code.splitlines()
    first = next(ln for ln in lines if ln.strip())
    body = code if first.startswith((" ", "\t")) else "\n".join("    " + ln for ln in lines)
    candidate = f"{signature}\n{body}"
    return candidate if _parses(candidate) else None


# The child: exec the code, then each call; one marked line per example as it finishes, so a
# timeout keeps the examples already run. Prints from the code go to a buffer.
_CHILD = r"""
import ast, io, json, math, sys
job = json.loads(sys.stdin.read())
MARK = job.pop("mark")
try:  # the limits, set by the child on itself before any of the code runs (POSIX)
    import resource
    for name, value in job["limits"].items():
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (ValueError, OSError, AttributeError):
            pass  # a limit the platform or a container does not allow lowering: the timeout still holds
except ImportError:
    pass
real = sys.stdout
sys.stdout = io.StringIO()

def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b  # doctest tells True from 1
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b

def report(ok):
    real.write(MARK + ("1" if ok else "0") + "\n")
    real.flush()

space = {"__name__": "__rewardkit_exec__"}  # so an `if __name__ == "__main__":` demo does not run
sys.stdin = io.StringIO()  # a demo's input() fails at once instead of waiting
exec("from typing import *", space)  # HumanEval-style signatures annotate with List, Optional...
try:
    tree = ast.parse(job["code"], "<response>")
except BaseException:
    for _ in job["checks"]:
        report(False)
    sys.exit(0)
# top-level statements one by one: definitions, imports and constants run; a failing statement
# (a demo call, the response's own failing assert) does not stop the rest; bare expressions
# (print(f(3)), demos) are not run at all
for node in tree.body:
    if isinstance(node, ast.Expr):
        continue
    try:
        exec(compile(ast.Module(body=[node], type_ignores=[]), "<response>", "exec"), space)
    except BaseException:
        pass
for call, expected in job["checks"]:
    try:
        ok = same(eval(call, space), ast.literal_eval(expected))
    except BaseException:
        ok = False
    report(ok)
"""


def _limits(seconds: float) -> dict[str, int]:
    """The rlimits the child sets on itself: CPU seconds, address space, file size, no children."""
    return {"RLIMIT_CPU": int(seconds) + 1, "RLIMIT_AS": MEMORY, "RLIMIT_FSIZE": 1 << 20, "RLIMIT_NPROC": 0}


def run_checks(code: str, checks: Sequence[Check], timeout: float = TIMEOUT) -> list[bool]:
    """Whether `code` returns each check's expected value, one fresh child interpreter for all of
    them; examples the timeout cut off count as failed.

    The child marks its verdict lines with a nonce made for this run, and more verdicts than
    examples fail them all: code that prints verdicts of its own (a policy that found the
    protocol) has to find the nonce in the child's memory first. A speed bump, not a sandbox."""
    import secrets

    mark = MARK.format(secrets.token_hex(8))
    job = json.dumps({"code": code, "checks": [(c.call, c.expected) for c in checks], "limits": _limits(timeout), "mark": mark})
    with tempfile.TemporaryDirectory(prefix="rewardkit-exec-") as cwd:
        posix = os.name == "posix"
        proc = subprocess.Popen([sys.executable, "-I", "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, cwd=cwd, env={}, text=True, start_new_session=posix)
        try:
            stdout, _ = proc.communicate(job, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            stdout, _ = proc.communicate()
    results = [line[len(mark):] == "1" for line in stdout.split("\n") if line.startswith(mark)]
    if len(results) > len(checks):
        return [False] * len(checks)
    return results + [False] * (len(checks) - len(results))


def _kill(proc: subprocess.Popen) -> None:
    if os.name == "posix":
        import signal

        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the session the child leads, so whatever it started goes too
            return
        except (ProcessLookupError, PermissionError):
            pass
    proc.kill()


def prompt_text(conversation: Conversation) -> str:
    """The user turns of a conversation's prompt, one after another."""
    turns, _ = conversation
    return "\n".join(m.content for m in turns if m.role == "user")


class ExecutionScorer:
    """``exec:python``: 2 * (examples passed / examples) - 1 when the prompt has examples and the
    response code, else 0 (see the module docstring)."""

    def __init__(self, language: str = "python", timeout: float = TIMEOUT, workers: int | None = None) -> None:
        if language not in LANGUAGES:
            raise RewardkitError(f"exec:{language}: only {', '.join(LANGUAGES)} code runs; use exec:python")
        if not timeout > 0:
            raise RewardkitError(f"the execution timeout must be > 0 seconds, got {timeout}")
        self.language, self.timeout = language, timeout
        self.workers = workers or max(1, min(8, os.cpu_count() or 1))
        self.name = PREFIX + language
        self.ran = 0  # responses run so far (the rest abstained)

    @classmethod
    def load(cls, spec: str, **_: object) -> "ExecutionScorer":
        """``exec:python``; model options (batch size, dtype...) do not apply and are ignored."""
        return cls(spec[len(PREFIX):] if spec.startswith(PREFIX) else spec)

    def job(self, conversation: Conversation) -> tuple[str, list[Check]] | None:
        """What would run for `conversation`: its code and the examples, or None (abstain)."""
        prompt = prompt_text(conversation)
        checks = prompt_checks(prompt)
        if not checks:
            return None
        names = {_called(c.call) for c in checks}
        for name in sorted(n for n in names if n):
            code = response_code(prompt, conversation[1], name)
            if code is not None:
                return code, checks
        return None

    def score(self, conversations: Sequence[Conversation]) -> list[float]:
        jobs = [self.job(c) for c in conversations]
        todo = [i for i, j in enumerate(jobs) if j is not None]
        out = [0.0] * len(conversations)
        with ThreadPoolExecutor(self.workers) as pool:
            results = pool.map(lambda i: run_checks(jobs[i][0], jobs[i][1], self.timeout), todo)
            for i, passed in zip(todo, results):
                out[i] = 2.0 * sum(passed) / len(passed) - 1.0
        self.ran += len(todo)
        return out
