"""Type checks for config dataclasses loaded from YAML, where a value can be anything.

`check_fields(config)` compares every field with its annotation and raises `ConfigFieldError`
naming the field, the expected type and the value, so ``learning_rate: "fast"`` in a YAML file
is refused before any work, with the file (added by the loader) and the field. `check_values(cls,
values)` does the same for settings before they build a dataclass whose ``__post_init__`` would
compare or count with them.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from rewardkit.errors import RewardkitError


class ConfigFieldError(RewardkitError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"field '{field}': {message}")


_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string", list: "a list", dict: "a mapping"}


def _matches(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    if hint is type(None):
        return "null"
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return f"a list of {_describe(item).removeprefix('a ').removeprefix('an ')}s"
    return _NAMES.get(origin or hint, getattr(hint, "__name__", str(hint)))


def check_fields(config: Any) -> None:
    """Raise `ConfigFieldError` for the first field whose value does not fit its annotation."""
    hints = typing.get_type_hints(type(config))
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        hint = hints.get(f.name, Any)
        if dataclasses.is_dataclass(value):
            try:
                check_fields(value)
            except ConfigFieldError as e:
                raise ConfigFieldError(f"{f.name}.{e.field}", str(e).split(": ", 1)[1]) from None
            continue
        _check(f.name, value, hint)


def check_values(cls: type, values: dict[str, Any]) -> None:
    """Raise `ConfigFieldError` for the first of `values` that does not fit `cls`'s annotation of it
    (names `cls` does not have are left to its constructor)."""
    hints = typing.get_type_hints(cls)
    for name, value in values.items():
        if name in hints:
            _check(name, value, hints[name])


def _check(name: str, value: Any, hint: Any) -> None:
    if not _matches(value, hint):
        raise ConfigFieldError(name, f"expected {_describe(hint)}, got {value!r}")
