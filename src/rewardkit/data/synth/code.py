"""Small Python functions; the rejected one has an off-by-one or boundary bug.

Both responses carry the same confident explanation; only the code differs, by a few characters
(``<`` for ``<=``, ``n`` for ``n + 1``, a missing guard for zero). `check` holds the function
name and test cases whose expected values come from a separate reference implementation, so a
test can run both responses and see the chosen one pass and the rejected one fail.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rewardkit.data.synth.boundaries import range_tasks, threshold_tasks
from rewardkit.data.synth.core import Example, Family, Template, pick

INTROS = ["Here's a straightforward implementation:", "You can do it like this:", "Here is a clean way to write it:", "This function does what you describe:"]


@dataclass(frozen=True)
class Task:
    name: str
    prompts: tuple[str, ...]  # formatted with {example}
    correct: str
    buggy: str
    bug: str
    explanation: str
    reference: Callable[..., Any]
    fixed_cases: tuple[tuple[Any, ...], ...]  # argument tuples, boundary cases the bug trips on
    random_args: Callable[[random.Random], tuple[Any, ...]]
    function: str = ""  # the function's name, when the template's name differs (twins share one)


def _call(name: str, args: tuple[Any, ...]) -> str:
    return f"{name}({', '.join(repr(a) for a in args)})"


def _make(task: Task) -> Callable[[random.Random], Example]:
    function = task.function or task.name

    def make(rng: random.Random) -> Example:
        args = task.random_args(rng)
        example = f"For example, `{_call(function, args)}` should return `{task.reference(*args)!r}`."
        prompt = pick(rng, task.prompts).format(example=example)
        intro = pick(rng, INTROS)
        render = lambda code: f"{intro}\n\n```python\n{code.strip()}\n```\n\n{task.explanation}"  # noqa: E731
        cases = [(list(a), task.reference(*a)) for a in (*task.fixed_cases, args)]
        return Example(prompt, render(task.correct), render(task.buggy), task.bug, {"function": function, "cases": cases})

    return make


def _sorted_list(rng: random.Random) -> list[int]:
    return sorted(rng.sample(range(1, 99), rng.randint(4, 9)))


TASKS = [
    Task(
        "sum_to_n",
        ("Write a Python function `sum_to_n(n)` that returns the sum of all integers from 1 to n inclusive. {example}",
         "I need a Python function sum_to_n(n) adding up 1 + 2 + ... + n, using a loop rather than the formula. {example}"),
        "def sum_to_n(n):\n    total = 0\n    for i in range(1, n + 1):\n        total += i\n    return total",
        "def sum_to_n(n):\n    total = 0\n    for i in range(1, n):\n        total += i\n    return total",
        "range(1, n) stops before n, so n itself is never added",
        "It loops over every integer from 1 to n and accumulates the running total, so it runs in O(n) time and O(1) memory.",
        lambda n: n * (n + 1) // 2,
        ((1,), (2,), (10,)),
        lambda rng: (rng.randint(3, 60),),
    ),
    Task(
        "binary_search",
        ("Implement `binary_search(items, target)` in Python: items is sorted ascending; return the index of target, or -1 if it is absent. {example}",
         "Can you write an iterative binary search in Python? Signature: binary_search(items, target) -> index or -1. {example}"),
        "def binary_search(items, target):\n    lo, hi = 0, len(items) - 1\n    while lo <= hi:\n        mid = (lo + hi) // 2\n        if items[mid] == target:\n            return mid\n        if items[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n    return -1",
        "def binary_search(items, target):\n    lo, hi = 0, len(items) - 1\n    while lo < hi:\n        mid = (lo + hi) // 2\n        if items[mid] == target:\n            return mid\n        if items[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n    return -1",
        "the loop condition lo < hi skips the last candidate when lo == hi",
        "It keeps the search window [lo, hi] and halves it on every comparison, so it needs O(log n) steps.",
        lambda items, target: items.index(target) if target in items else -1,
        (([5], 5), ([1, 3, 5, 7], 7), ([1, 3, 5, 7], 1), ([2, 4], 3)),
        lambda rng: (lambda xs: (xs, pick(rng, xs)))(_sorted_list(rng)),
    ),
    Task(
        "moving_average",
        ("Write a Python function `moving_average(values, window)` returning the list of averages of every run of `window` consecutive values. {example}",
         "Python: compute a simple moving average. moving_average(values, window) should return one average per full window. {example}"),
        "def moving_average(values, window):\n    return [\n        sum(values[i:i + window]) / window\n        for i in range(len(values) - window + 1)\n    ]",
        "def moving_average(values, window):\n    return [\n        sum(values[i:i + window]) / window\n        for i in range(len(values) - window)\n    ]",
        "range(len(values) - window) drops the last full window",
        "Each output element averages one full window of consecutive values; there are len(values) - window + 1 of them.",
        lambda values, window: [sum(values[i:i + window]) / window for i in range(len(values) - window + 1)],
        (([1, 2, 3], 3), ([4, 8, 6, 2], 2)),
        lambda rng: ([rng.randint(1, 20) for _ in range(rng.randint(5, 9))], rng.randint(2, 4)),
    ),
    Task(
        "count_pages",
        ("Write `count_pages(total_items, per_page)` in Python: how many pages are needed to show all items? {example}",
         "For pagination I need a Python function count_pages(total_items, per_page) that returns the number of pages. {example}"),
        "def count_pages(total_items, per_page):\n    return (total_items + per_page - 1) // per_page",
        "def count_pages(total_items, per_page):\n    return total_items // per_page + 1",
        "adds a page even when the items divide evenly (and for zero items)",
        "This is ceiling division with integers: a partly filled last page still counts as a page.",
        lambda total, per: -(-total // per),
        ((0, 10), (20, 10), (21, 10)),
        lambda rng: (rng.randint(1, 500), pick(rng, [5, 10, 20, 25, 50])),
    ),
    Task(
        "last_n",
        ("Write a Python function `last_n(items, n)` that returns the last n elements of a list (an empty list when n is 0). {example}",
         "Python helper please: last_n(items, n) -> the final n items of the list; n can be 0. {example}"),
        "def last_n(items, n):\n    if n <= 0:\n        return []\n    return items[-n:]",
        "def last_n(items, n):\n    return items[-n:]",
        "items[-0:] is the whole list, so n == 0 returns everything",
        "Negative slicing takes elements from the end of the list, and slicing never raises when n exceeds the length.",
        lambda items, n: items[len(items) - min(n, len(items)):] if n > 0 else [],
        (([1, 2, 3], 0), ([1, 2, 3], 2), ([1, 2, 3], 5)),
        lambda rng: ([rng.randint(0, 9) for _ in range(rng.randint(3, 8))], rng.randint(1, 4)),
    ),
    Task(
        "multiples",
        ("Write `multiples(k, limit)` in Python, returning all positive multiples of k up to and including limit. {example}",
         "In Python, list every multiple of k from k up to limit (inclusive). Name it multiples(k, limit). {example}"),
        "def multiples(k, limit):\n    return list(range(k, limit + 1, k))",
        "def multiples(k, limit):\n    return list(range(k, limit, k))",
        "range stops before limit, so limit itself is missing when it is a multiple of k",
        "range with step k walks through k, 2k, 3k, ... and stops once it passes the limit.",
        lambda k, limit: [m for m in range(1, limit + 1) if m % k == 0],
        ((3, 9), (5, 5), (4, 10)),
        lambda rng: (lambda k: (k, k * rng.randint(2, 9)))(rng.randint(2, 9)),
    ),
    Task(
        "chunks",
        ("Write a Python function `chunks(items, size)` that splits a list into consecutive chunks of `size` (the last one may be shorter). {example}",
         "I need chunks(items, size) in Python to batch a list into pieces of at most `size` elements, keeping the order. {example}"),
        "def chunks(items, size):\n    return [items[i:i + size] for i in range(0, len(items), size)]",
        "def chunks(items, size):\n    return [items[i:i + size] for i in range(0, len(items) - size, size)]",
        "stopping at len(items) - size drops the last chunk",
        "It steps through the list in strides of `size` and slices each chunk; the final slice is simply shorter when the list does not divide evenly.",
        lambda items, size: [items[i:i + size] for i in range(0, len(items), size)],
        (([1, 2, 3, 4], 2), ([1, 2, 3, 4, 5], 2), ([1], 3)),
        lambda rng: (list(range(rng.randint(5, 12))), rng.randint(2, 4)),
    ),
    Task(
        "factorial",
        ("Write a Python function `factorial(n)` for non-negative integers n, using a loop. {example}",
         "I need factorial(n) in Python (n >= 0), iterative please. {example}"),
        "def factorial(n):\n    result = 1\n    for i in range(2, n + 1):\n        result *= i\n    return result",
        "def factorial(n):\n    if n == 0:\n        return 0\n    result = 1\n    for i in range(2, n + 1):\n        result *= i\n    return result",
        "the extra guard returns 0 for n == 0, but 0! is 1",
        "It multiplies the running product by every integer from 2 to n; the empty product for 0 and 1 is 1.",
        lambda n: __import__("math").factorial(n),
        ((0,), (1,), (5,)),
        lambda rng: (rng.randint(2, 10),),
    ),
    Task(
        "clamp",
        ("Write `clamp(x, lo, hi)` in Python: return x limited to the closed interval [lo, hi]. {example}",
         "Python: clamp(x, lo, hi) should keep x between lo and hi, both bounds included. {example}"),
        "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))",
        "def clamp(x, lo, hi):\n    return max(lo, min(x, hi - 1))",
        "hi - 1 treats the upper bound as exclusive, so values at or above hi come out one too small",
        "min caps the value at the upper bound and max lifts it to the lower bound, so the result always lies in [lo, hi].",
        lambda x, lo, hi: max(lo, min(x, hi)),
        ((15, 0, 10), (10, 0, 10), (-5, 0, 10)),
        lambda rng: (rng.randint(-20, 40), 0, rng.randint(5, 30)),
    ),
    Task(
        "argmax",
        ("Write `argmax(values)` in Python without using max(): the index of the largest value (the first one on ties). {example}",
         "Python function argmax(values) returning the position of the biggest element, with a plain loop. {example}"),
        "def argmax(values):\n    best = 0\n    for i in range(1, len(values)):\n        if values[i] > values[best]:\n            best = i\n    return best",
        "def argmax(values):\n    best = 0\n    for i in range(1, len(values) - 1):\n        if values[i] > values[best]:\n            best = i\n    return best",
        "range(1, len(values) - 1) never looks at the last element",
        "It remembers the index of the largest value seen so far and only moves it on a strictly larger value, so ties keep the first index.",
        lambda values: values.index(max(values)),
        (([1, 2, 3],), ([3, 1, 2],), ([4, 9],)),
        lambda rng: ([rng.randint(0, 50) for _ in range(rng.randint(4, 8))],),
    ),
    Task(
        "count_words",
        ("Write a Python function `count_words(text)` that counts the words in a string separated by any whitespace. {example}",
         "In Python, count_words(text) -> number of words; spaces, tabs and newlines all separate words. {example}"),
        "def count_words(text):\n    return len(text.split())",
        "def count_words(text):\n    return len(text.split(\" \"))",
        "split(\" \") counts empty strings between repeated spaces and returns 1 for an empty text",
        "str.split() with no argument splits on runs of whitespace and ignores leading and trailing whitespace.",
        lambda text: len(text.split()),
        (("",), ("a  b",), ("one\ttwo three",)),
        lambda rng: (" ".join(pick(rng, ["red", "fox", "jumps", "over", "the", "lazy", "dog", "again"]) for _ in range(rng.randint(2, 7))),),
    ),
    Task(
        "count_between",
        ("Write `count_between(values, lo, hi)` in Python: how many values lie between lo and hi, both included? {example}",
         "Python helper count_between(values, lo, hi) counting the items with lo <= item <= hi. {example}"),
        "def count_between(values, lo, hi):\n    return sum(1 for v in values if lo <= v <= hi)",
        "def count_between(values, lo, hi):\n    return sum(1 for v in values if lo <= v and v < hi)",
        "v < hi excludes values equal to the upper bound",
        "A chained comparison checks both bounds at once, and summing ones counts the matching values.",
        lambda values, lo, hi: sum(1 for v in values if lo <= v <= hi),
        (([1, 5, 10], 1, 10), ([3, 3], 3, 3), ([0, 2], 1, 1)),
        lambda rng: ([rng.randint(0, 20) for _ in range(rng.randint(4, 9))], rng.randint(0, 5), rng.randint(8, 20)),
    ),
    Task(
        "evens_between",
        ("Write `evens_between(a, b)` in Python: all even numbers from a to b, both ends included, in order. {example}",
         "Python: list the even integers between a and b inclusive; call it evens_between(a, b). {example}"),
        "def evens_between(a, b):\n    return [x for x in range(a, b + 1) if x % 2 == 0]",
        "def evens_between(a, b):\n    return [x for x in range(a, b) if x % 2 == 0]",
        "range(a, b) stops before b, so an even b is left out although the range is inclusive",
        "range(a, b + 1) covers both ends, and the condition keeps the numbers divisible by 2.",
        lambda a, b: [x for x in range(a, b + 1) if x % 2 == 0],
        ((2, 8), (1, 4), (6, 6)),
        lambda rng: (lambda a: (a, a + 2 * rng.randint(2, 8)))(rng.randint(0, 20) * 2),
    ),
    Task(
        "first_indices",
        ("Write `first_indices(stop)` in Python: the indices 0, 1, 2, ... up to but not including stop. {example}",
         "Python helper first_indices(stop) returning the list of indices below stop, starting at 0 (stop itself excluded). {example}"),
        "def first_indices(stop):\n    return list(range(stop))",
        "def first_indices(stop):\n    return list(range(stop + 1))",
        "range(stop + 1) includes stop, which the prompt excludes",
        "range(stop) yields 0 to stop - 1, exactly the indices below stop.",
        lambda stop: list(range(stop)),
        ((0,), (1,), (5,)),
        lambda rng: (rng.randint(2, 12),),
    ),
]

HELDOUT = {"multiples", "chunks"}
# Twins whose prompts state opposite boundaries over the same two code versions (boundaries.py):
# training templates only, after the hand-written tasks so the held-out ones draw as before
TWINS = range_tasks(Task) + threshold_tasks(Task)

FAMILY = Family(
    name="code",
    subset="synth-code",
    description="Python functions with an off-by-one or boundary bug",
    templates=tuple(Template(t.name, _make(t), heldout=t.name in HELDOUT) for t in TASKS),
)
# The family with the twins, which `SynthConfig(code_twins=True)` (`data synth --code-twins`) uses
WITH_TWINS = dataclasses.replace(FAMILY, templates=FAMILY.templates + tuple(Template(t.name, _make(t)) for t in TWINS))
