"""``exec:LANG``: the execution reward as a scorer (see the package docstring)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from rewardkit.data.chat import user_turns
from rewardkit.errors import RewardkitError
from rewardkit.models.execution import python
from rewardkit.models.execution.examples import Check, called, prompt_checks, python_literal
from rewardkit.models.execution.process import TIMEOUT
from rewardkit.models.execution.toolchains import TOOLCHAINS
from rewardkit.models.protocols import Conversation

PREFIX = "exec:"
LANGUAGES = ("python", "javascript", "cpp", "java")  # and the aliases js, c++


def prompt_text(conversation: Conversation) -> str:
    """The user turns of a conversation's prompt, one after another."""
    turns, _ = conversation
    return "\n".join(user_turns(turns))


class ExecutionScorer:
    """``exec:LANG``: 2 * (examples passed / examples) - 1 when the prompt has examples and the
    response code in LANG, else 0 (see the package docstring)."""

    def __init__(self, language: str = "python", timeout: float = TIMEOUT, workers: int | None = None) -> None:
        if language != "python" and language not in TOOLCHAINS:
            raise RewardkitError(f"exec:{language}: the languages that run are {', '.join(LANGUAGES)}; "
                                 f"use exec:{' or exec:'.join(LANGUAGES)}")
        if not timeout > 0:
            raise RewardkitError(f"the execution timeout must be > 0 seconds, got {timeout}")
        self.toolchain = TOOLCHAINS[language]() if language != "python" else None
        self.language = self.toolchain.name if self.toolchain else language
        self.timeout = timeout
        self.workers = workers or max(1, min(8, os.cpu_count() or 1))
        self.name = PREFIX + self.language
        self.ran = 0  # responses run so far (the rest abstained)

    @classmethod
    def load(cls, spec: str, **_: object) -> "ExecutionScorer":
        """``exec:python`` (or javascript, cpp, java); model options (batch size, dtype...) do not apply and are ignored."""
        return cls(spec[len(PREFIX):] if spec.startswith(PREFIX) else spec)

    def job(self, conversation: Conversation) -> Callable[[], list[bool] | None] | None:
        """What would run for `conversation` (call it for the verdicts; None among them abstains),
        or None when there is nothing to run (no examples, or no code)."""
        prompt = prompt_text(conversation)
        checks = prompt_checks(prompt, self.toolchain.readable if self.toolchain else python_literal)
        if not checks:
            return None
        for name in sorted({n for n in (called(c.call) for c in checks) if n}):
            if self.toolchain is None:
                code = python.response_code(prompt, conversation[1], name)
                if code is not None:
                    return lambda code=code: python.run_checks(code, checks, self.timeout)
            else:
                program = self.toolchain.program(prompt, conversation[1], name)
                if program is not None:
                    return lambda program=program: self.toolchain.run(program, checks, self.timeout)
        return None

    def score(self, conversations: Sequence[Conversation]) -> list[float]:
        jobs = [self.job(c) for c in conversations]
        todo = [i for i, j in enumerate(jobs) if j is not None]
        out = [0.0] * len(conversations)
        with ThreadPoolExecutor(self.workers) as pool:
            for i, passed in zip(todo, pool.map(lambda i: jobs[i](), todo)):
                if passed:
                    out[i] = 2.0 * sum(passed) / len(passed) - 1.0
        self.ran += len(todo)
        return out


__all__ = ["Check", "ExecutionScorer", "LANGUAGES", "PREFIX", "TIMEOUT", "prompt_text"]
