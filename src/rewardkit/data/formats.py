"""Row formats: how one row of another tool's preference data maps to and from `PreferencePair`.

Each format is a `RowFormat` in `FORMATS` with a `parse` (row -> pair) and a `dump` (pair -> row).
`detect_format` names the format of a row from its shape; readers call it on a file's first row.

| name | row shape | used by |
|---|---|---|
| rewardkit | id, source, subset, prompt (string or messages), chosen, rejected, margin, scores, meta | rewardkit, ../shared/data |
| rewardbench | prompt, chosen, rejected (strings), subset, id | allenai/reward-bench |
| trl | prompt, chosen, rejected as message lists (explicit), or chosen/rejected as whole conversations (implicit) | TRL RewardTrainer / DPOTrainer |
| trl-standard | prompt, chosen, rejected as strings (explicit), or chosen/rejected with a shared text prefix (implicit) | TRL |
| skywork | chosen, rejected as whole conversations, source | Skywork-Reward-Preference-80K |
| hh | chosen, rejected as ``\\n\\nHuman: ...\\n\\nAssistant: ...`` transcripts | Anthropic/hh-rlhf |

Fields a format does not know are kept in ``meta`` so that nothing is lost on the way in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from rewardkit.data.schema import FieldError, Message, PreferencePair, parse_messages

# the fields beyond the conversation, which some formats have no place for
OPTIONAL_FIELDS = ("id", "source", "subset", "margin", "scores", "meta")

RowParser = Callable[[dict[str, Any], str, str], PreferencePair]
RowDumper = Callable[[PreferencePair], dict[str, Any]]


@dataclass(frozen=True)
class RowFormat:
    name: str
    description: str
    parse: RowParser  # (row, default_id, default_source) -> pair; raises FieldError
    dump: RowDumper  # pair -> row; raises FieldError when the pair cannot be represented
    # optional `PreferencePair` fields a row of this format keeps (prompt, chosen and rejected
    # are always kept, or the dump refuses); ``meta.KEY`` names one key of meta
    holds: frozenset[str] = frozenset(OPTIONAL_FIELDS)

    def dropped(self, pair: PreferencePair) -> list[str]:
        """The fields of `pair` that hold a value and that this format has no place for."""
        lost = [f for f in OPTIONAL_FIELDS if f not in self.holds and f != "meta" and _has_value(getattr(pair, f))]
        if "meta" not in self.holds and any(f"meta.{k}" not in self.holds for k in pair.meta):
            lost.append("meta")
        return lost


def _has_value(value: Any) -> bool:
    return value not in (None, "", {}, [])


def _extra_meta(row: dict[str, Any], known: set[str], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    out = dict(meta or {})
    for key, value in row.items():
        if key not in known and key not in out:
            out[key] = value
    return out


def _require_strings(row: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name not in row:
            raise FieldError("missing-field", name, "required field is missing")
        if not isinstance(row[name], str):
            raise FieldError("bad-type", name, f"expected a string, got {type(row[name]).__name__}")


# -- rewardkit -------------------------------------------------------------------------------

_REWARDKIT_KEYS = {"id", "source", "subset", "prompt", "chosen", "rejected", "margin", "scores", "meta"}


def _parse_rewardkit(row: dict[str, Any], default_id: str, default_source: str) -> PreferencePair:
    pair = PreferencePair.from_dict(row, default_id=default_id, default_source=default_source)
    pair.meta = _extra_meta(row, _REWARDKIT_KEYS, pair.meta)
    return pair


def _dump_rewardkit(pair: PreferencePair) -> dict[str, Any]:
    return pair.to_dict()


# -- reward-bench ----------------------------------------------------------------------------

_RB_KEYS = {"id", "prompt", "chosen", "rejected", "subset"}


def _single_user_prompt(pair: PreferencePair, fmt: str) -> str:
    if len(pair.prompt) != 1 or pair.prompt[0].role != "user":
        raise FieldError(
            "unrepresentable",
            "prompt",
            f"{fmt} rows hold one user turn; pair {pair.id!r} has {len(pair.prompt)} turns "
            f"({', '.join(m.role for m in pair.prompt)}): write it as rewardkit or trl",
        )
    return pair.prompt[0].content


def _parse_rewardbench(row: dict[str, Any], default_id: str, default_source: str) -> PreferencePair:
    _require_strings(row, ("prompt", "chosen", "rejected"))
    pair = PreferencePair.from_dict(
        {k: row[k] for k in _RB_KEYS if k in row}, default_id=default_id, default_source=default_source
    )
    pair.meta = _extra_meta(row, _RB_KEYS)
    return pair


def _dump_rewardbench(pair: PreferencePair) -> dict[str, Any]:
    row: dict[str, Any] = {
        "prompt": _single_user_prompt(pair, "rewardbench"),
        "chosen": pair.chosen,
        "rejected": pair.rejected,
        "chosen_model": pair.meta.get("chosen_model", ""),
        "rejected_model": pair.meta.get("rejected_model", ""),
        "subset": pair.subset or "",
        "id": pair.id,
    }
    return row


# -- TRL conversational (explicit and implicit prompt) and Skywork -----------------------------

_CONV_KEYS = {"prompt", "chosen", "rejected", "id", "source", "subset", "margin"}


def _final_assistant(messages: list[Message], field_name: str) -> str:
    if not messages or messages[-1].role != "assistant":
        raise FieldError(
            "bad-role", field_name, "the conversation must end with an assistant turn"
        )
    return messages[-1].content


def _parse_conversational(row: dict[str, Any], default_id: str, default_source: str) -> PreferencePair:
    for name in ("chosen", "rejected"):
        if name not in row:
            raise FieldError("missing-field", name, "required field is missing")
    chosen = parse_messages(row["chosen"], "chosen")
    rejected = parse_messages(row["rejected"], "rejected")
    if "prompt" in row:  # explicit prompt: chosen/rejected hold the final assistant turn(s)
        prompt = parse_messages(row["prompt"], "prompt")
        for name, msgs in (("chosen", chosen), ("rejected", rejected)):
            if len(msgs) != 1:
                raise FieldError(
                    "bad-type", name, f"expected one assistant message after an explicit prompt, got {len(msgs)}"
                )
    else:  # implicit prompt: the shared conversation before the last turn
        prompt = chosen[:-1]
        if rejected[:-1] != prompt:
            raise FieldError(
                "prompt-mismatch", "rejected", "chosen and rejected conversations differ before their last turn"
            )
    base = {k: row[k] for k in ("id", "source", "subset", "margin") if k in row}
    pair = PreferencePair.from_dict(
        {
            **base,
            "prompt": [m.to_dict() for m in prompt],
            "chosen": _final_assistant(chosen, "chosen"),
            "rejected": _final_assistant(rejected, "rejected"),
        },
        default_id=default_id,
        default_source=default_source,
    )
    pair.meta = _extra_meta(row, _CONV_KEYS)
    return pair


def _dump_trl(pair: PreferencePair) -> dict[str, Any]:
    return {
        "prompt": [m.to_dict() for m in pair.prompt],
        "chosen": [{"role": "assistant", "content": pair.chosen}],
        "rejected": [{"role": "assistant", "content": pair.rejected}],
    }


def _dump_skywork(pair: PreferencePair) -> dict[str, Any]:
    prompt = [m.to_dict() for m in pair.prompt]
    return {
        "chosen": prompt + [{"role": "assistant", "content": pair.chosen}],
        "rejected": prompt + [{"role": "assistant", "content": pair.rejected}],
        "source": pair.source,
    }


# -- TRL standard (plain strings) ------------------------------------------------------------


def common_text_prefix(chosen: str, rejected: str) -> str:
    """The implicit prompt of two texts, as TRL's ``extract_prompt`` finds it.

    The longest common prefix, moved back by one character when it would end just after a space,
    so that the space stays with the responses ("...? A" / "...? B" -> prompt "...?").
    """
    n = 0
    limit = min(len(chosen), len(rejected))
    while n < limit and chosen[n] == rejected[n]:
        n += 1
    if 0 < n < limit and chosen[n - 1] == " ":
        n -= 1
    return chosen[:n]


def _parse_standard(row: dict[str, Any], default_id: str, default_source: str) -> PreferencePair:
    _require_strings(row, ("chosen", "rejected"))
    chosen, rejected = row["chosen"], row["rejected"]
    if "prompt" in row:
        if not isinstance(row["prompt"], str):
            raise FieldError("bad-type", "prompt", f"expected a string, got {type(row['prompt']).__name__}")
        prompt = row["prompt"]
    else:
        prompt = common_text_prefix(chosen, rejected)
        if not prompt:
            raise FieldError("missing-field", "prompt", "no prompt field and no shared prefix to take it from")
        chosen, rejected = chosen[len(prompt):], rejected[len(prompt):]
    base = {k: row[k] for k in ("id", "source", "subset", "margin") if k in row}
    pair = PreferencePair.from_dict(
        {**base, "prompt": prompt, "chosen": chosen, "rejected": rejected},
        default_id=default_id,
        default_source=default_source,
    )
    pair.meta = _extra_meta(row, _CONV_KEYS)
    return pair


def _dump_standard(pair: PreferencePair) -> dict[str, Any]:
    return {"prompt": _single_user_prompt(pair, "trl-standard"), "chosen": pair.chosen, "rejected": pair.rejected}


# -- Anthropic HH-RLHF transcripts ----------------------------------------------------------

_HH_SPLIT = re.compile(r"(?:^|\n\n)(Human|Assistant): ?")
_HH_ROLE = {"Human": "user", "Assistant": "assistant"}
_HH_NAME = {"user": "Human", "assistant": "Assistant"}


def parse_hh_transcript(text: str, field_name: str) -> list[Message]:
    """Split ``\\n\\nHuman: a\\n\\nAssistant: b`` into messages."""
    parts = _HH_SPLIT.split(text)
    if len(parts) < 3 or parts[0].strip():
        raise FieldError("bad-format", field_name, "not an HH transcript (expected '\\n\\nHuman: ...')")
    return [Message(_HH_ROLE[parts[i]], parts[i + 1]) for i in range(1, len(parts), 2)]


def _parse_hh(row: dict[str, Any], default_id: str, default_source: str) -> PreferencePair:
    _require_strings(row, ("chosen", "rejected"))
    chosen = parse_hh_transcript(row["chosen"], "chosen")
    rejected = parse_hh_transcript(row["rejected"], "rejected")
    return _parse_conversational(
        {
            **{k: v for k, v in row.items() if k not in ("chosen", "rejected")},
            "chosen": [m.to_dict() for m in chosen],
            "rejected": [m.to_dict() for m in rejected],
        },
        default_id,
        default_source,
    )


def render_hh_transcript(messages: list[Message]) -> str:
    out = []
    for m in messages:
        if m.role not in _HH_NAME:
            raise FieldError("unrepresentable", "prompt", f"HH transcripts have no '{m.role}' turns")
        out.append(f"\n\n{_HH_NAME[m.role]}: {m.content}")
    return "".join(out)


def _dump_hh(pair: PreferencePair) -> dict[str, Any]:
    return {
        "chosen": render_hh_transcript(pair.prompt + [Message("assistant", pair.chosen)]),
        "rejected": render_hh_transcript(pair.prompt + [Message("assistant", pair.rejected)]),
    }


FORMATS: dict[str, RowFormat] = {
    f.name: f
    for f in (
        RowFormat("rewardkit", "rewardkit rows (the schema in the README)", _parse_rewardkit, _dump_rewardkit),
        RowFormat("rewardbench", "reward-bench rows: prompt, chosen, rejected strings, subset, id", _parse_rewardbench, _dump_rewardbench,
                  frozenset({"id", "subset", "meta.chosen_model", "meta.rejected_model"})),
        RowFormat("trl", "TRL conversational preference rows (explicit or implicit prompt)", _parse_conversational, _dump_trl, frozenset()),
        RowFormat("trl-standard", "TRL standard preference rows (explicit or implicit prompt)", _parse_standard, _dump_standard, frozenset()),
        RowFormat("skywork", "Skywork-Reward-Preference rows: whole conversations + source", _parse_conversational, _dump_skywork,
                  frozenset({"source"})),
        RowFormat("hh", "Anthropic HH-RLHF transcripts", _parse_hh, _dump_hh, frozenset()),
    )
}


def get_format(name: str) -> RowFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise FieldError("bad-format", "--format", f"unknown format {name!r}; known: {', '.join(FORMATS)}") from None


def detect_format(row: Any) -> str | None:
    """Name the format of one row from its shape, or None when no format fits."""
    if not isinstance(row, dict) or "chosen" not in row or "rejected" not in row:
        return None
    chosen = row["chosen"]
    if isinstance(chosen, list):
        if "prompt" not in row and "source" in row:
            return "skywork"
        return "trl"
    if not isinstance(chosen, str):
        return None
    if "prompt" not in row:
        return "hh" if _HH_SPLIT.match(chosen) and "Assistant:" in chosen else "trl-standard"
    # rewardkit rows accept a string or message-list prompt, so they also read TRL's explicit
    # standard rows; a file that mixes both prompt kinds then reads in full.
    if "subset" in row and isinstance(row["prompt"], str) and not any(k in row for k in ("source", "scores", "margin", "meta")):
        return "rewardbench"
    return "rewardkit"
