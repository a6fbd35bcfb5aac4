"""The one preference schema every stage reads and writes.

A `PreferencePair` is a conversation (`prompt`, ending with a user turn) and two candidate final
assistant turns, `chosen` (preferred) and `rejected`. The full description, with every field, is
in the README section "The preference schema"; readers for other formats (RewardBench, TRL,
Skywork, HH-RLHF) all convert into this class, and writers convert out of it.

Validation has two levels:

* structural problems (a missing field, a wrong type, a role outside system/user/assistant) mean
  a row cannot become a pair at all; `PreferencePair.from_dict` raises `FieldError`;
* content problems (an empty response, identical responses, a prompt that does not end with a
  user turn) are found by `PreferencePair.problems()`; the readers turn them into errors naming
  file, line and field, unless the caller asked to skip or keep such pairs (always counted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

ROLES = ("system", "user", "assistant")


class FieldError(ValueError):
    """A problem with one field of one row; `code` is a stable short name used in counts."""

    def __init__(self, code: str, field: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Message:
    """One chat turn. `role` is one of system, user, assistant."""

    role: str
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(slots=True)
class PreferencePair:
    """A prompt (a conversation ending with a user turn) and two candidate final assistant turns.

    Attributes:
        id: stable identifier, unique within a dataset.
        prompt: the conversation so far; multi-turn allowed; ends with a user turn.
        chosen: the preferred final assistant turn.
        rejected: the dispreferred final assistant turn.
        source: where the pair comes from (a dataset name).
        subset: benchmark subset (RewardBench-style), if any.
        margin: preference strength, if known (used by margin-aware losses).
        scores: external quality scores by name, used for selection (e.g. ``judge_preference``).
        meta: anything else, carried through unchanged.
    """

    id: str
    prompt: list[Message]
    chosen: str
    rejected: str
    source: str = ""
    subset: str | None = None
    margin: float | None = None
    scores: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def problems(self) -> list[FieldError]:
        """Content problems of this pair, in field order; empty when the pair is valid."""
        found: list[FieldError] = []
        if not self.prompt:
            found.append(FieldError("empty-prompt", "prompt", "the prompt has no turns"))
        elif self.prompt[-1].role != "user":
            found.append(
                FieldError(
                    "prompt-not-ending-in-user",
                    "prompt",
                    f"the prompt must end with a user turn, not '{self.prompt[-1].role}'",
                )
            )
        if not self.chosen.strip():
            found.append(FieldError("empty-chosen", "chosen", "the chosen response is empty"))
        if not self.rejected.strip():
            found.append(FieldError("empty-rejected", "rejected", "the rejected response is empty"))
        if self.chosen.strip() and self.chosen == self.rejected:
            found.append(
                FieldError(
                    "identical-responses", "rejected", "chosen and rejected are identical"
                )
            )
        return found

    @property
    def turns(self) -> int:
        """Messages in the whole conversation, the response included (the Skywork table's turns)."""
        return len(self.prompt) + 1

    def to_dict(self) -> dict[str, Any]:
        """The rewardkit JSON row; `from_dict(to_dict())` is the identity."""
        return {
            "id": self.id,
            "source": self.source,
            "subset": self.subset,
            "prompt": [m.to_dict() for m in self.prompt],
            "chosen": self.chosen,
            "rejected": self.rejected,
            "margin": self.margin,
            "scores": dict(self.scores),
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, row: Any, *, default_id: str = "", default_source: str = "") -> "PreferencePair":
        """Parse a rewardkit row (``prompt`` as a string or a list of messages).

        Raises `FieldError` for structural problems. Content problems are left to `problems()`.
        """
        if not isinstance(row, dict):
            raise FieldError("bad-type", "<row>", f"expected a JSON object, got {type(row).__name__}")
        for name in ("prompt", "chosen", "rejected"):
            if name not in row:
                raise FieldError("missing-field", name, "required field is missing")
        pair_id = row.get("id", default_id)
        if pair_id is None or pair_id == "":
            pair_id = default_id
        if not isinstance(pair_id, (str, int)):
            raise FieldError("bad-type", "id", f"expected a string, got {type(pair_id).__name__}")
        source = row.get("source") or default_source
        if not isinstance(source, str):
            raise FieldError("bad-type", "source", f"expected a string, got {type(source).__name__}")
        subset = row.get("subset")
        if subset is not None and not isinstance(subset, str):
            raise FieldError("bad-type", "subset", f"expected a string, got {type(subset).__name__}")
        return cls(
            id=str(pair_id),
            prompt=parse_prompt(row["prompt"]),
            chosen=_text(row["chosen"], "chosen"),
            rejected=_text(row["rejected"], "rejected"),
            source=source,
            subset=subset,
            margin=_margin(row.get("margin")),
            scores=_scores(row.get("scores")),
            meta=_meta(row.get("meta")),
        )


def parse_messages(value: Any, field_name: str) -> list[Message]:
    """Parse a list of ``{"role", "content"}`` objects, checking roles and types."""
    if not isinstance(value, list):
        raise FieldError("bad-type", field_name, f"expected a list of messages, got {type(value).__name__}")
    messages = []
    for i, item in enumerate(value):
        where = f"{field_name}[{i}]"
        if not isinstance(item, dict):
            raise FieldError("bad-type", where, f"expected a message object, got {type(item).__name__}")
        if "role" not in item:
            raise FieldError("missing-field", f"{where}.role", "required field is missing")
        if "content" not in item:
            raise FieldError("missing-field", f"{where}.content", "required field is missing")
        role = item["role"]
        if role not in ROLES:
            raise FieldError(
                "bad-role", f"{where}.role", f"role {role!r} is not one of {', '.join(ROLES)}"
            )
        messages.append(Message(role, _text(item["content"], f"{where}.content")))
    return messages


def parse_prompt(value: Any) -> list[Message]:
    """A prompt is a string (one user turn) or a list of messages."""
    if isinstance(value, str):
        return [Message("user", value)]
    return parse_messages(value, "prompt")


def _text(value: Any, field_name: str) -> str:
    if not isinstance(value, str):
        raise FieldError("bad-type", field_name, f"expected a string, got {type(value).__name__}")
    return value


def _margin(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FieldError("bad-type", "margin", f"expected a finite number or null, got {value!r}")
    return float(value)


def _scores(value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FieldError("bad-type", "scores", f"expected an object of numbers, got {type(value).__name__}")
    scores = {}
    for name, score in value.items():
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise FieldError("bad-type", f"scores.{name}", f"expected a number, got {score!r}")
        scores[str(name)] = float(score)
    return scores


def _meta(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FieldError("bad-type", "meta", f"expected an object, got {type(value).__name__}")
    return value


@dataclass(slots=True)
class RatedResponse:
    """One response to a prompt with pointwise attribute ratings (HelpSteer2, UltraFeedback).

    Attributes:
        id: stable identifier, unique within a dataset.
        prompt: the conversation so far; ends with a user turn.
        response: the rated final assistant turn.
        ratings: attribute name to rating (HelpSteer2: 0-4; UltraFeedback: 1-5); an attribute
            left unrated (UltraFeedback's "N/A") is absent, not zero.
        source: where the row comes from.
        meta: anything else, carried through unchanged.
    """

    id: str
    prompt: list[Message]
    response: str
    ratings: dict[str, float]
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def problems(self) -> list[FieldError]:
        """Content problems, in field order (the same rules as `PreferencePair.problems`)."""
        found: list[FieldError] = []
        if not self.prompt:
            found.append(FieldError("empty-prompt", "prompt", "the prompt has no turns"))
        elif self.prompt[-1].role != "user":
            found.append(FieldError("prompt-not-ending-in-user", "prompt",
                                    f"the prompt must end with a user turn, not '{self.prompt[-1].role}'"))
        if not self.response.strip():
            found.append(FieldError("empty-response", "response", "the response is empty"))
        if not self.ratings:
            found.append(FieldError("no-ratings", "ratings", "the response has no ratings"))
        return found

    def to_dict(self) -> dict[str, Any]:
        """The rewardkit ratings row; `from_dict(to_dict())` is the identity."""
        return {"id": self.id, "source": self.source, "prompt": [m.to_dict() for m in self.prompt], "response": self.response,
                "ratings": dict(self.ratings), "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, row: Any, *, default_id: str = "", default_source: str = "") -> "RatedResponse":
        """Parse a rewardkit ratings row; raises `FieldError` for structural problems."""
        if not isinstance(row, dict):
            raise FieldError("bad-type", "<row>", f"expected a JSON object, got {type(row).__name__}")
        for name in ("prompt", "response", "ratings"):
            if name not in row:
                raise FieldError("missing-field", name, "required field is missing")
        ratings = row["ratings"]
        if not isinstance(ratings, dict):
            raise FieldError("bad-type", "ratings", f"expected an object of numbers, got {type(ratings).__name__}")
        source = row.get("source") or default_source
        if not isinstance(source, str):
            raise FieldError("bad-type", "source", f"expected a string, got {type(source).__name__}")
        rid = row.get("id") or default_id
        if not isinstance(rid, (str, int)):
            raise FieldError("bad-type", "id", f"expected a string, got {type(rid).__name__}")
        return cls(id=str(rid), prompt=parse_prompt(row["prompt"]), response=_text(row["response"], "response"),
                   ratings={str(k): rating(v, f"ratings.{k}") for k, v in ratings.items()}, source=source,
                   meta=_meta(row.get("meta")))


def rating(value: Any, field_name: str) -> float:
    """A finite number (or a numeric string, as UltraFeedback stores them)."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise FieldError("bad-type", field_name, f"expected a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FieldError("bad-type", field_name, f"expected a finite number, got {value!r}")
    return float(value)
