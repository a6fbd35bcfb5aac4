"""exec:javascript, exec:cpp and exec:java: HumanEvalPack-style prompts (a backticked signature,
doctests in the language's call syntax, a body as the answer), written values read as each
language writes them, and what a failed build means. Each language's test skips without its
toolchain (node, g++, java)."""

import shutil

import pytest

from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.execution import Check, ExecutionScorer, prompt_checks
from rewardkit.models.execution.examples import UNREADABLE, called, loose_value, same
from rewardkit.models.execution.toolchains import Cpp, JavaScript, Program
from rewardkit.models.registry import load_scorer


def needs(tool: str):
    return pytest.mark.skipif(shutil.which(tool) is None, reason=f"{tool} is not on PATH (the toolchain this language runs with)")


def conv(prompt: str, response: str):
    return ([Message("user", prompt)], response)


def scores(language: str, prompt: str, *responses: str) -> list[float]:
    return ExecutionScorer(language).score([conv(prompt, r) for r in responses])


def test_written_values_and_calls_read_by_hand():
    assert loose_value("(0, 1)") == (0, 1) and loose_value("[true, null]") == [True, None]
    assert loose_value("{1, 2}", braces_are_lists=True) == [1, 2] and loose_value('{"a{", "b"}', braces_are_lists=True) == ["a{", "b"]
    assert loose_value("'it''s'") == "its" and loose_value("false") is False
    assert loose_value("Optional[a]") is UNREADABLE and loose_value("the list [1, 2]") is UNREADABLE
    # JSON has no tuples: a list returned equals a tuple written, unless sequences are strict (Python)
    assert same([0, 1], (0, 1), strict_sequences=False) and not same([0, 1], (0, 1))
    assert same(2, 2.0000001) and not same(True, 1) and not same([1], [1, 2], strict_sequences=False)
    # a variable as an argument cannot run (HumanEvalPack writes isHappy(a) for isHappy('a'))
    assert called("isHappy(a)") is None and called("f(Arrays.asList(1, 2), true)") == "f" and called("f({1, 2}, 'a')") == "f"
    assert called("f(str(3))") == "f" and called("f(x=1)") == "f"


def test_prompt_checks_read_each_languages_values():
    cpp = "Write a C++ function `vector<int> evens(vector<int> xs)`.\n>>> evens({1, 2, 4})\n{2, 4}\n>>> evens(a)\n{}"
    assert prompt_checks(cpp, Cpp.readable.__get__(object.__new__(Cpp))) == [Check("evens({1, 2, 4})", "{2, 4}")]
    java = ("Write a Java function `public Optional<String> first(List<String> xs)`.\n>>> first(Arrays.asList(\"a\"))\n"
            "Optional[a]\n>>> first(Arrays.asList())\nOptional.empty\n>>> first(Arrays.asList(\"b\"))\nthe first one")
    from rewardkit.models.execution.toolchains import Java

    assert [c.expected for c in prompt_checks(java, Java.readable.__get__(object.__new__(Java)))] == ["Optional[a]", "Optional.empty"]


def test_an_unknown_language_or_a_missing_toolchain_is_refused(monkeypatch):
    with pytest.raises(RewardkitError, match="the languages that run are python, javascript, cpp, java"):
        load_scorer("exec:cobol")
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    with pytest.raises(RewardkitError, match="exec:javascript needs node on PATH"):
        JavaScript()


def test_harness_lines_repeated_or_out_of_range_fail_every_example():
    js = object.__new__(JavaScript)
    checks = [Check("f(1)", "1"), Check("f(2)", "2")]
    assert js.verdicts(["0 R 1", "1 R 3"], checks) == [True, False]
    assert js.verdicts(["0 R 1", "0 R 1", "1 R 2"], checks) == [False, False]  # a forged second verdict
    assert js.verdicts(["0 R 1", "7 R 2"], checks) == [False, False]
    assert js.verdicts(["0 X", "1 X"], checks) is None  # no example compiles: abstain
    assert js.verdicts(["0 E", "1 X"], checks) == [False]


JS_PROMPT = ("Write a JavaScript function `const sumProduct = (numbers)` to solve the following problem:\n"
             "Return the sum and the product of a list of integers.\n>>> sumProduct([])\n(0, 1)\n>>> sumProduct([2, 4])\n(6, 8)")
JS_RIGHT = "  let s = 0, p = 1;\n  for (const n of numbers) { s += n; p *= n; }\n  return [s, p];\n}\n"


@needs("node")
def test_javascript_bodies_functions_and_broken_code():
    wrong = JS_RIGHT.replace("p *= n", "p += n")
    fenced = "Sure:\n```javascript\nfunction sumProduct(numbers) {\n  const f = 1;\n  return [numbers.reduce((a, b) => a + b, 0), numbers.reduce((a, b) => a * b, f)];\n}\n```"
    broken = "```js\nfunction sumProduct(numbers) {\n  return [0, 1\n}\n```"
    # wrong: [0, 1] right for [], [6, 7] wrong for [2, 4] -> 1 of 2 -> 0.0
    assert scores("js", JS_PROMPT, JS_RIGHT, wrong, fenced, broken, "I would loop over the numbers.") == [1.0, 0.0, 1.0, -1.0, 0.0]
    # a body's own `let f = 1` is not a definition of f: the body runs under the signature
    prompt = "Write a JavaScript function `const f = (n)`.\n>>> f(3)\n6"
    assert scores("javascript", prompt, "  let f = 1;\n  for (let i = 2; i <= n; i++) f *= i;\n  return f;\n}") == [1.0]
    # the comma operator: JavaScript reads "(0, 1)" as 1, and a body returning (s, p) returns p
    assert scores("javascript", JS_PROMPT, JS_RIGHT.replace("[s, p]", "(s, p)")) == [1.0]


CPP_PROMPT = ("Write a C++ function `map<char,int> counts(string s)` to solve the following problem:\n"
              "Count each letter.\n>>> counts(\"aba\")\n{{'a', 2}, {'b', 1}}\n>>> counts(\"\")\n{}")
CPP_RIGHT = "    map<char,int> out;\n    for (char c : s) out[c]++;\n    return out;\n}\n"


@needs("g++")
def test_cpp_bodies_maps_crashes_and_builds():
    wrong = CPP_RIGHT.replace("out[c]++", "out[c] = 1")
    crash = "    int* p = nullptr;\n    *p = 1;\n    return {};\n}\n"
    broken = "```cpp\nmap<char,int> counts(string s) {\n    return out\n}\n```"
    assert scores("cpp", CPP_PROMPT, CPP_RIGHT, wrong, crash, broken, "Use a map from letters to counts.") == [1.0, 0.0, -1.0, -1.0, 0.0]
    # a return type the harness cannot print (a tuple): the code builds alone, so abstain
    prompt = "Write a C++ function `tuple<int,int> two()`.\n>>> two()\n{1, 2}"
    assert scores("c++", prompt, "    return {1, 2};\n}") == [0.0]
    # a whole program with a demo main of its own
    program = ("```cpp\n#include <map>\nusing namespace std;\nmap<char,int> counts(string s) {\n" + CPP_RIGHT
               + "int main() {\n    counts(\"x\");\n    return 3;\n}\n```")
    assert scores("cpp", CPP_PROMPT, program) == [1.0]
    vec = "Write a C++ function `vector<float> halves(vector<int> xs)`.\n>>> halves({1, 3})\n{0.5, 1.5}"
    assert scores("cpp", vec, "    vector<float> out;\n    for (int x : xs) out.push_back(x / 2.0);\n    return out;\n}",
                  "    vector<float> out;\n    for (int x : xs) out.push_back(x / 2);\n    return out;\n}") == [1.0, -1.0]


@needs("java")
def test_java_bodies_optional_and_broken_code():
    prompt = ("Write a Java function `public Optional<String> longest(List<String> strings)` to solve the following problem:\n"
              "Return the longest string, or None for an empty list.\n>>> longest(Arrays.asList())\nOptional.empty\n"
              ">>> longest(Arrays.asList(\"a\", \"bb\"))\nOptional[bb]\n>>> longest(Arrays.asList(\"a\", \"b\"))\nOptional[a]")
    right = ("        String best = null;\n        for (String s : strings) if (best == null || s.length() > best.length()) best = s;\n"
             "        return Optional.ofNullable(best);\n    }\n}")
    last = right.replace("s.length() > best.length()", "s.length() >= best.length()")  # the last of the longest
    broken = "```java\nclass Solution {\n    public Optional<String> longest(List<String> strings) {\n        return 1;\n    }\n}\n```"
    assert scores("java", prompt, right, last, broken) == [1.0, pytest.approx(1 / 3), -1.0]
    # a whole file: a package line, its own imports and a public Main beside class Solution
    whole = ("```java\npackage demo;\nimport java.util.*;\n\nclass Solution {\n    public Optional<String> longest(List<String> strings) {\n"
             + right + "\n\npublic class Main {\n    public static void main(String[] args) {\n"
             "        System.out.println(new Solution().longest(Arrays.asList(\"a\")));\n    }\n}\n```")
    assert scores("java", prompt, whole) == [1.0]
    lists = "Write a Java function `public List<Integer> doubled(List<Integer> xs)`.\n>>> doubled(Arrays.asList(1, 2))\n[2, 4]"
    assert scores("java", lists, "        return xs.stream().map(x -> 2 * x).collect(Collectors.toList());\n    }\n}") == [1.0]


def test_a_body_is_wrapped_and_closed_under_the_signature():
    js = object.__new__(JavaScript)
    assert js.program(JS_PROMPT, "  return [0, 1];", "sumProduct") == Program("const sumProduct = (numbers) => {\n  return [0, 1];\n}", bare=True)
    assert js.program("Write sumProduct.", "  return [0, 1];\n}", "sumProduct") is None  # no signature to run it under
