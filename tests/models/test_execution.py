"""Execution rewards: examples found in prompts, code found in responses, the child's verdicts
(right, wrong, crashing, endless, printing), rewards computed by hand, and abstention."""

import os

import pytest

from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.execution import Check, ExecutionScorer, prompt_checks, response_code, run_checks
from rewardkit.models.registry import is_baseline, load_scorer

PROMPT = ("Write `multiples(k, limit)` in Python, returning all positive multiples of k up to and including limit. "
          "For example, `multiples(3, 9)` should return `[3, 6, 9]`.")
RIGHT = "Here you go:\n\n```python\ndef multiples(k, limit):\n    return list(range(k, limit + 1, k))\n```\n\nIt steps by k."
WRONG = RIGHT.replace("limit + 1", "limit")


def conv(prompt: str, response: str):
    return ([Message("system", "Be terse. `f(1)` should return `2`."), Message("user", prompt)], response)


def test_prompt_checks_reads_each_notation_once():
    prompt = ("Examples:\n>>> add(1, 2)\n3\n>>> add(0, 0)\n0\n"
              "assert add(2, 2) == 4\n"
              "`add(5, 5)` should return `10`, and `add(1, 2)` returns `3`.\n"
              "add(-1, 1) => 0\n"
              "- add(3, 3) ➞ 6\n"
              ">>> print(add(1, 1))\n2\n"        # a call of print: a named function, counted
              ">>> x = add(1, 1)\n"              # an assignment: not a call, and no value line
              "add(a, b) -> int\n"               # a signature, not a literal
              "`obj.add(1)` should return `2`")  # a method call: not a named function
    assert prompt_checks(prompt) == [
        Check("add(1, 2)", "3"), Check("add(0, 0)", "0"), Check("print(add(1, 1))", "2"), Check("add(2, 2)", "4"),
        Check("add(5, 5)", "10"), Check("add(-1, 1)", "0"), Check("add(3, 3)", "6")]
    assert prompt_checks("Write a function that adds two numbers.") == []


def test_response_code_fences_bare_code_and_bodies():
    assert response_code(PROMPT, RIGHT, "multiples") == "def multiples(k, limit):\n    return list(range(k, limit + 1, k))"
    # a console block that does not parse is left out; the defining block stays
    two = RIGHT + "\n\n```\n>>> multiples(3, 9)\n[3, 6, 9]\n```"
    assert response_code(PROMPT, two, "multiples").startswith("def multiples")
    # a broken defining block is the response's code: it runs, and fails
    assert response_code(PROMPT, "```python\ndef multiples(k, limit)\n    return []\n```", "multiples") == "def multiples(k, limit)\n    return []"
    # bare code that parses; prose does not
    assert response_code(PROMPT, "def multiples(k, limit):\n    return []", "multiples") == "def multiples(k, limit):\n    return []"
    assert response_code("Write `f`.", "Just loop up to the limit, def-ining nothing.", "f") is None
    # a body under the prompt's signature: backticked, or a def line (HumanEval's completion style)
    body = "    return a + b\n"
    assert response_code("Write a Python function `add(a: int, b: int) -> int` to add.", body, "add") == \
        "def add(a: int, b: int) -> int:\n    return a + b\n"
    assert response_code("def add(a, b):\n    \"\"\"Adds.\"\"\"", "return a + b", "add") == "def add(a, b):\n    return a + b"
    assert response_code("Add two numbers.", body, "add") is None  # no signature to run it under


def test_run_checks_verdicts():
    code = "def f(x):\n    print('noise')\n    return [x, x / 3]"
    assert run_checks(code, [Check("f(1)", "[1, 0.3333333333]"), Check("f(1)", "[1, 0.5]"), Check("f(1)", "(1, 0.3333333333)"),
                             Check("g(1)", "1")]) == [True, False, False, False]  # float tolerance; a tuple is not a list; NameError
    assert run_checks("def f(x):\n    return x == 1", [Check("f(1)", "True"), Check("f(1)", "1")]) == [True, False]  # bool is not int
    assert run_checks("def f(x)\n    return x", [Check("f(1)", "1")]) == [False]  # does not compile
    assert run_checks("raise SystemExit(3)", [Check("f(1)", "1"), Check("f(2)", "2")]) == [False, False]
    # demo code around the function neither stops it nor blocks: a main block, input(), a failing
    # assert of the response's own, a bare call
    demo = ("import math\ndef f(x):\n    return math.floor(x)\nn = int(input())\nassert f(2.5) == 3\nprint(f(n))\n"
            "if __name__ == '__main__':\n    raise SystemExit(1)")
    assert run_checks(demo, [Check("f(2.5)", "2")]) == [True]
    assert run_checks("import os\ndef f():\n    return os.getcwd().split('/')[-1].startswith('rewardkit-exec-')",
                      [Check("f()", "True")]) == [True]  # an empty temporary folder of its own
    big = "def f():\n    return len(bytearray(2 << 30))"  # 2 GiB against the child's 1 GiB address space
    assert run_checks(big, [Check("f()", str(2 << 30))]) == ([False] if os.name == "posix" else [True])
    # verdicts printed by the code itself: a line without this run's nonce does not count, and
    # one with it (read from the child's memory) makes more verdicts than examples: all fail
    guess = "import sys\n_ = sys.__stdout__.write('@@rewardkit-exec-0@@ 1\\n')\ndef f(x):\n    return 0"
    assert run_checks(guess, [Check("f(1)", "0")]) == [True] and run_checks(guess, [Check("f(1)", "1")]) == [False]
    forged = "import sys\n_ = sys.__stdout__.write(sys.modules['__main__'].MARK + '1\\n')\ndef f(x):\n    return 0"
    assert run_checks(forged, [Check("f(1)", "1")]) == [False]
    assert run_checks(forged.replace("MARK + '1", "MARK + '0"), [Check("f(1)", "0")]) == [False]  # even when right
    loop = "def f(x):\n    if x > 1:\n        while True:\n            pass\n    return x"
    assert run_checks(loop, [Check("f(1)", "1"), Check("f(2)", "2")], timeout=1.0) == [True, False]  # the first ran before the loop


def test_scorer_rewards_by_hand_and_abstains():
    scorer = load_scorer("exec:python")
    assert isinstance(scorer, ExecutionScorer) and scorer.name == "exec:python" and is_baseline("exec:python")
    two = PROMPT + " Also `multiples(5, 5)` should return `[5]` and `multiples(2, 5)` should return `[2, 4]`."
    rewards = scorer.score([conv(PROMPT, RIGHT), conv(PROMPT, WRONG), conv(two, WRONG), conv(PROMPT, "I won't write code."),
                            conv("Write multiples(k, limit).", RIGHT)])
    # WRONG on `two`: [3, 6] != [3, 6, 9]; [] != [5]; [2, 4] right -> 1 of 3 -> 2/3 - 1
    assert rewards == pytest.approx([1.0, -1.0, 2 / 3 - 1, 0.0, 0.0])
    assert scorer.ran == 3  # the last two abstained without running anything
    with pytest.raises(RewardkitError, match="the languages that run are"):
        load_scorer("exec:fortran")


def test_ensemble_with_exec_lets_a_failed_example_decide():
    from rewardkit.models.protocols import pair_rewards

    scorer = load_scorer("ensemble:length,exec:python@1000")
    a, b = pair_rewards(scorer.score([conv(PROMPT, RIGHT), conv(PROMPT, WRONG + " " * 50)]))[0]
    assert a > b  # longer loses: the failed example outweighs 50 characters at this weight
