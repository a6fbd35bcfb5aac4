"""Code tasks whose bug is on a boundary the prompt states, in twins that flip the label.

Every task here has a twin with the same function and the same two code versions, whose prompt
states the other boundary: "from a to b inclusive" wants ``range(a, b + 1)`` and "from a up to
but not including b" wants ``range(a, b)``; "at least t" wants ``>=`` and "more than t" wants
``>``. Across the twins each version is chosen as often as it is rejected, so no surface cue of
the code (``+ 1``, ``>=``, which answer is longer) predicts the label: only reading the prompt's
boundary and the code's together does. The hand-written tasks of `code` each carry one fixed
diff, and a small model trained on them learns those diffs ("``+ 1`` loses") instead of the rule
(bench/results/quickstart_ablation.md).

Two kinds of boundary, each over several bodies (what the function computes):

- the end of an integer range: inclusive vs half-open, ``b + 1`` vs ``b`` as range's stop (a
  descending range too, whose stop is ``a - 1`` vs ``a``);
- a threshold: at least / more than (``>=`` vs ``>``), at most / less than (``<=`` vs ``<``).

None of them uses a stepped ascending range or slices in strides, the shapes of the code
family's held-out templates (``multiples``, ``chunks``): those stay unseen problem shapes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Body:
    """What a function computes over its bound, with ``{stop}`` / ``{op}`` left in the code."""

    slug: str
    function: str
    what: str  # "the sum of the integers {span}" (a range) or "the values {cmp}" (a threshold)
    code: str  # body of the function, formatted with stop= or op=
    compute: Callable[[list[int]], Any]  # the reference, from the values the bound selects, in order


# How a prompt states a range's end. {a}, {b}: the parameter names.
INCLUSIVE = ("from {a} to {b} inclusive", "from {a} through {b}", "from {a} to {b}, both ends included",
             "in the closed range [{a}, {b}]")
EXCLUSIVE = ("from {a} up to but not including {b}", "from {a} to {b}, with {b} itself excluded",
             "that are at least {a} and below {b}", "in the half-open range [{a}, {b})")

RANGE_BODIES = (
    Body("sum", "range_sum", "the sum of the integers {span}", "return sum(range(a, {stop}))",
         lambda xs: sum(xs)),
    Body("odds", "odd_numbers", "a list of the odd integers {span}", "return [x for x in range(a, {stop}) if x % 2 == 1]",
         lambda xs: [x for x in xs if x % 2 == 1]),
    Body("squares", "squares", "a list of the squares of the integers {span}", "return [x * x for x in range(a, {stop})]",
         lambda xs: [x * x for x in xs]),
    Body("product", "range_product", "the product of the integers {span}",
         "result = 1\n    for x in range(a, {stop}):\n        result *= x\n    return result", lambda xs: math.prod(xs)),
    Body("labels", "number_labels", "the integers {span} as a list of strings", "return [str(x) for x in range(a, {stop})]",
         lambda xs: [str(x) for x in xs]),
    Body("cubes", "cube_sum", "the sum of the cubes of the integers {span}", "return sum(x ** 3 for x in range(a, {stop}))",
         lambda xs: sum(x ** 3 for x in xs)),
)

# A descending range: its end is the lower bound a, reached with step -1 (stop a - 1 vs a).
DESCENDING = Body("countdown", "countdown", "the integers {span}, largest first", "return list(range(b, {stop}, -1))",
                  lambda xs: sorted(xs, reverse=True))
DOWN_INCLUSIVE = ("from {b} down to {a} inclusive", "from {b} down to and including {a}", "from {b} down to {a}, both ends included")
DOWN_EXCLUSIVE = ("from {b} down to but not including {a}", "from {b} down to {a}, with {a} itself excluded",
                  "from {b} down to just above {a}")

# Thresholds: (phrase, operator it wants, operator of the bug, predicate).
THRESHOLDS = (
    ("at least {t}", ">=", ">", lambda v, t: v >= t),
    ("more than {t}", ">", ">=", lambda v, t: v > t),
    ("at most {t}", "<=", "<", lambda v, t: v <= t),
    ("less than {t}", "<", "<=", lambda v, t: v < t),
)
THRESHOLD_BODIES = (
    Body("keep", "keep_values", "a list of the values that are {cmp}, in their original order",
         "return [v for v in values if v {op} t]", lambda kept: kept),
    Body("count", "count_values", "how many of the values are {cmp}", "return sum(1 for v in values if v {op} t)",
         lambda kept: len(kept)),
    Body("total", "total_of", "the sum of the values that are {cmp}", "return sum(v for v in values if v {op} t)",
         lambda kept: sum(kept)),
    Body("any", "has_value", "whether any of the values is {cmp} (True or False)", "return any(v {op} t for v in values)",
         lambda kept: bool(kept)),
)

EXPLAIN_RANGE = "It walks the integers between the two bounds once, so it runs in time linear in the length of the range."
EXPLAIN_THRESHOLD = "It makes a single pass over the values and compares each one with t, so it runs in O(n) time."
ASKS = ("Write a Python function `{call}` that returns {what}. {{example}}",
        "In Python, I need `{call}`: it should return {what}. {{example}}")


def _range_args(rng: random.Random) -> tuple[int, int]:
    a = rng.randint(1, 9)
    return a, a + rng.randint(2, 6)


def _values_args(rng: random.Random) -> tuple[list[int], int]:
    t = rng.randint(3, 15)
    values = [rng.randint(0, 20) for _ in range(rng.randint(4, 7))]
    values[rng.randrange(len(values))] = t  # the bound itself is always among the values
    return values, t


def range_tasks(task: Callable[..., Any]) -> list[Any]:
    """Twin tasks over an ascending or descending integer range (`task`: the code family's Task, passed in since code.py imports this module)."""
    tasks = []
    for body, wordings, stops, bound in (
        *[(b, (INCLUSIVE, EXCLUSIVE), ("b + 1", "b"), "b") for b in RANGE_BODIES],
        (DESCENDING, (DOWN_INCLUSIVE, DOWN_EXCLUSIVE), ("a - 1", "a"), "a"),
    ):
        for kind, spans, right, wrong in (("inclusive", wordings[0], stops[0], stops[1]),
                                          ("exclusive", wordings[1], stops[1], stops[0])):
            included = kind == "inclusive"

            def reference(a: int, b: int, body: Body = body, included: bool = included, bound: str = bound) -> Any:
                if included:
                    return body.compute(list(range(a, b + 1)))
                return body.compute(list(range(a, b) if bound == "b" else range(a + 1, b + 1)))

            prompts = tuple(ask.format(call=f"{body.function}(a, b)", what=body.what.format(span=span.format(a="a", b="b")))
                            for ask in ASKS for span in spans)
            header = f"def {body.function}(a, b):\n    "
            tasks.append(task(
                f"{body.slug}_{kind}", prompts, header + body.code.format(stop=right), header + body.code.format(stop=wrong),
                f"the range's end is {'included' if included else 'excluded'} in the prompt, and a stop of {wrong} "
                f"{'leaves ' + bound + ' out' if included else 'takes ' + bound + ' in'}",
                EXPLAIN_RANGE, reference, ((3, 3), (2, 5)), _range_args, body.function,
            ))
    return tasks


def threshold_tasks(task: Callable[..., Any]) -> list[Any]:
    """Twin tasks over a list and a threshold the prompt bounds strictly or not."""
    tasks = []
    for body in THRESHOLD_BODIES:
        for phrase, right, wrong, keep in THRESHOLDS:
            def reference(values: list[int], t: int, body: Body = body, keep: Callable = keep) -> Any:
                return body.compute([v for v in values if keep(v, t)])

            what = body.what.format(cmp=phrase.format(t="t"))
            prompts = tuple(ask.format(call=f"{body.function}(values, t)", what=what) for ask in ASKS)
            header = f"def {body.function}(values, t):\n    "
            slug = phrase.split(" {")[0].replace(" ", "_")
            tasks.append(task(
                f"{body.slug}_{slug}", prompts, header + body.code.format(op=right), header + body.code.format(op=wrong),
                f"{wrong} instead of {right} gets the values equal to t wrong",
                EXPLAIN_THRESHOLD, reference, (([1, 5, 9], 5), ([5], 5), ([2, 8], 4)), _values_args, body.function,
            ))
    return tasks
