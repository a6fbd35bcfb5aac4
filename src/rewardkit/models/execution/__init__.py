"""Execution rewards: run the response's code on the examples its prompt gives.

    scorer = load_scorer("exec:python")  # or exec:javascript (node), exec:cpp (g++), exec:java (the JDK)
    scorer.score([(prompt, response)])  # 2 * (examples passed / examples) - 1, or 0

A rule-based, verifiable reward (as RLVR trains on, and as TRL's and OpenRLHF's reward functions
take beside a model): when the prompt states what a call should return (a doctest ``>>> f(3)``
followed by its value, ``assert f(3) == 6``, or "`f(3)` should return `6`") and the response
holds code in the scorer's language (a fenced block, or bare code), the code runs in a child
process and the reward is the fraction of the examples it gets right, mapped to [-1, 1]. A conversation without
examples or without code gets 0: the scorer abstains, and in an ``ensemble:`` the other members
decide. A body-only completion (HumanEval's convention: the response continues a signature) is
run under the signature the prompt gives (a ``def`` line or a backticked ``name(args) -> type``;
in the other languages a backticked signature, as HumanEvalPack's prompts state it). Modules:
`examples` (the prompt's examples, comparing values), `python`, `toolchains` (JavaScript, C++,
Java), `process` (the child, its limits and nonce), `scorer`.

A learned reward model reads code; it does not run it. Two answers that differ by ``limit`` and
``limit + 1`` look alike to a small encoder and not to the interpreter, which is why this exists
(`bench/results/quickstart_ablation.md`).

**This runs model-written code as your user.** Each response gets a fresh process (``python
-I``, node, a built binary, the JVM) in an empty temporary folder, with no environment
variables, a wall-clock timeout, and (on POSIX) limits on CPU time, file size, memory (the
address space for Python and native code; node and the JVM get a heap flag, as they reserve far
more address space than they use) and child processes (not for node and the JVM, whose threads
count as processes). That stops accidents (endless loops, runaway allocations), not an
adversary: score untrusted policies' outputs inside a container or VM. The same holds for the verdicts: they come back on lines marked with a nonce
made for the run, and more verdicts than examples fail them all, so code that prints verdicts of
its own has to read the nonce out of the child first; a policy trained against this reward can
still learn to, and to special-case the prompt's examples (every test-based reward's weakness).
"""

from rewardkit.models.execution.examples import Check, prompt_checks
from rewardkit.models.execution.process import MEMORY
from rewardkit.models.execution.python import response_code, run_checks
from rewardkit.models.execution.scorer import LANGUAGES, PREFIX, TIMEOUT, ExecutionScorer, prompt_text

__all__ = ["Check", "ExecutionScorer", "LANGUAGES", "MEMORY", "PREFIX", "TIMEOUT", "prompt_checks", "prompt_text",
           "response_code", "run_checks"]
