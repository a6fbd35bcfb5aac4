"""Option values shared by several commands, checked before any work starts."""

from __future__ import annotations

import typer

from rewardkit.data.io import INVALID_POLICIES

INVALID_HELP = ("Rows that are not valid pairs (bad JSON or bytes, missing fields, wrong types, empty or identical "
                "responses, repeated ids): error (stop, naming file, line and field), skip (leave out, counted) "
                "or keep (keep flawed pairs, flagged; rows that are not pairs are skipped). Counts are printed.")
UNTRAINED_HELP = "Score with a model whose score head is newly initialised (random scores), e.g. a bare backbone."


def choice(value: str | None, allowed: tuple[str, ...], flag: str) -> str | None:
    """`value` if it is one of `allowed` (or None); a usage error naming the flag otherwise."""
    if value is not None and value not in allowed:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}", param_hint=flag)
    return value


def invalid_policy(value: str, allowed: tuple[str, ...] = INVALID_POLICIES) -> str:
    return choice(value, allowed, "--invalid")  # type: ignore[return-value]


def no_pairs(paths: list[str], report) -> str:  # noqa: ANN001 - ReadReport
    """The message for an input with no pairs left to work on."""
    why = f" ({report.summary()})" if report.rows else ""
    return f"no pairs in {', '.join(paths)}{why}"
