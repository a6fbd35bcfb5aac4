"""Python: the response's code (fenced blocks, bare code, or a body under the prompt's
signature) and a child interpreter that runs it on the examples, comparing in Python."""

from __future__ import annotations

import ast
import json
import re
import sys
import tempfile
from collections.abc import Sequence

from rewardkit.models.execution.examples import FENCE, Check
from rewardkit.models.execution.process import TIMEOUT, launched, limits, marked, new_mark, run

_DEF_LINE = re.compile(r"^(def\s+([A-Za-z_]\w*)\s*\(.*?\)\s*(?:->\s*[^:]+)?:)\s*$", re.MULTILINE)
_SIGNATURE = re.compile(r"`([A-Za-z_]\w*)\s*(\([^`\n]*\))\s*(->\s*[^`\n]+)?`")


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
    blocks = [body for lang, body in FENCE.findall(response) if lang.lower() in ("", "python", "py", "python3")]
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


def run_checks(code: str, checks: Sequence[Check], timeout: float = TIMEOUT) -> list[bool]:
    """Whether `code` returns each check's expected value, one fresh child interpreter for all of
    them; examples the timeout cut off count as failed.

    The child marks its verdict lines with a nonce made for this run, and more verdicts than
    examples fail them all: code that prints verdicts of its own (a policy that found the
    protocol) has to find the nonce in the child's memory first. A speed bump, not a sandbox."""
    mark = new_mark()
    job = json.dumps({"code": code, "checks": [(c.call, c.expected) for c in checks], "mark": mark})
    with tempfile.TemporaryDirectory(prefix="rewardkit-exec-") as cwd:
        _, stdout = run(launched([sys.executable, "-I", "-c", _CHILD], limits(timeout)), cwd, timeout, stdin=job)
    results = [payload == "1" for payload in marked(stdout, mark)]
    if len(results) > len(checks):
        return [False] * len(checks)
    return results + [False] * (len(checks) - len(results))
