"""Attribute data: pointwise ratings (`RatedResponse`) and preference pairs labelled with the
attribute they differ on.

Pointwise ratings are read from three row formats:

| format | a row | ratings |
|---|---|---|
| ``rewardkit`` | ``{id, source, prompt, response, ratings: {name: number}, meta}`` | as given |
| ``helpsteer2`` | ``{prompt, response, helpfulness, correctness, coherence, complexity, verbosity}`` (nvidia/HelpSteer2) | the five columns, 0-4 |
| ``ultrafeedback`` | ``{instruction, completions: [{model, response, annotations: {attr: {Rating}}}]}`` (openbmb/UltraFeedback) | one record per completion: helpfulness, honesty, instruction_following, truthfulness (1-5; "N/A" left out) |

HelpSteer2 keeps multi-turn prompts in one string, turns after the first introduced by
``<extra_id_1>User`` / ``<extra_id_1>Assistant`` lines (NeMo's SteerLM template); they become
messages here. Reading follows the same row rule as pairs (`rewardkit.data.io`): bad rows stop
the read naming file, line and field, or are skipped and counted (``invalid="skip"``).

    ratings = list(read_ratings(["helpsteer2_train.jsonl.gz"]))

A preference pair's attribute is its row's ``attribute`` (a name, or a list of names when the
pair differs on several), kept in ``meta["attribute"]``; a pair without one takes its
source's or subset's default (`SOURCE_ATTRIBUTES`), so the shared pool and ``data synth``'s
families are attribute data as they are:

| attribute | from |
|---|---|
| helpfulness | AlpacaEval judge pairs, Vicuna-bench reviews |
| instruction_following | LLMBar (other), ``synth-instructions`` |
| harmlessness | HH-RLHF harmless-base |
| correctness | ``synth-math``, ``synth-units``, ``synth-code`` |
| safety | ``synth-safety-refuse``, ``synth-safety-respond`` (refusing the harmful, answering the harmless) |
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from rewardkit.data.containers import container_of
from rewardkit.data.io import INVALID_POLICIES, FileReport, InvalidPolicy, ReadReport, read_records
from rewardkit.data.schema import FieldError, Message, PreferencePair, RatedResponse, rating
from rewardkit.errors import DataError

HELPSTEER2_ATTRIBUTES = ("helpfulness", "correctness", "coherence", "complexity", "verbosity")
ULTRAFEEDBACK_ATTRIBUTES = ("helpfulness", "honesty", "instruction_following", "truthfulness")
RATING_FORMATS = ("rewardkit", "helpsteer2", "ultrafeedback")

_TURN = re.compile(r"<extra_id_1>(User|Assistant)[ \t]*\n?")


def parse_helpsteer_prompt(text: str, field_name: str = "prompt") -> list[Message]:
    """Split a HelpSteer2 prompt string into messages: the text before the first marker is the
    first user turn; each ``<extra_id_1>User``/``<extra_id_1>Assistant`` line opens a turn."""
    parts = _TURN.split(text)
    messages = [Message("user", parts[0].strip())] if parts[0].strip() else []
    for role, content in zip(parts[1::2], parts[2::2]):
        messages.append(Message(role.lower(), content.strip()))
    if not messages:
        raise FieldError("empty-prompt", field_name, "the prompt has no turns")
    return messages


def _meta_of(row: dict[str, Any], known: set[str]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in known}


def _string(row: dict[str, Any], name: str) -> str:
    if name not in row:
        raise FieldError("missing-field", name, "required field is missing")
    if not isinstance(row[name], str):
        raise FieldError("bad-type", name, f"expected a string, got {type(row[name]).__name__}")
    return row[name]


def _parse_rewardkit(row: dict[str, Any], default_id: str, source: str) -> list[RatedResponse]:
    return [RatedResponse.from_dict(row, default_id=default_id, default_source=source)]


def _parse_helpsteer2(row: dict[str, Any], default_id: str, source: str) -> list[RatedResponse]:
    prompt = parse_helpsteer_prompt(_string(row, "prompt"))
    ratings = {a: rating(row[a], a) for a in HELPSTEER2_ATTRIBUTES if row.get(a) is not None}
    known = {"prompt", "response", "id", "source", *HELPSTEER2_ATTRIBUTES}
    return [RatedResponse(str(row.get("id") or default_id), prompt, _string(row, "response"), ratings,
                          str(row.get("source") or source), _meta_of(row, known))]


def _parse_ultrafeedback(row: dict[str, Any], default_id: str, source: str) -> list[RatedResponse]:
    instruction = _string(row, "instruction")
    completions = row.get("completions")
    if not isinstance(completions, list):
        raise FieldError("missing-field" if completions is None else "bad-type", "completions", "expected a list of completions")
    base = str(row.get("id") or default_id)
    out = []
    for k, c in enumerate(completions):
        where = f"completions[{k}]"
        if not isinstance(c, dict):
            raise FieldError("bad-type", where, f"expected an object, got {type(c).__name__}")
        response = c.get("response")
        if not isinstance(response, str):
            raise FieldError("bad-type" if response is not None else "missing-field", f"{where}.response", "expected a string")
        annotations = c.get("annotations") or {}
        if not isinstance(annotations, dict):
            raise FieldError("bad-type", f"{where}.annotations", f"expected an object, got {type(annotations).__name__}")
        ratings = {}
        for name, value in annotations.items():
            score = value.get("Rating") if isinstance(value, dict) else value
            if score in (None, "N/A", ""):
                continue
            ratings[name] = rating(score, f"{where}.annotations.{name}.Rating")
        prompt = [Message("system", c["custom_system_prompt"])] if isinstance(c.get("custom_system_prompt"), str) and c["custom_system_prompt"].strip() else []
        out.append(RatedResponse(f"{base}-{k}", prompt + [Message("user", instruction)], response, ratings,
                                 str(row.get("source") or source), {"model": c.get("model"), "completion": k}))
    return out


_PARSERS: dict[str, Callable[[dict[str, Any], str, str], list[RatedResponse]]] = {
    "rewardkit": _parse_rewardkit, "helpsteer2": _parse_helpsteer2, "ultrafeedback": _parse_ultrafeedback}


def detect_ratings_format(row: Any) -> str | None:
    """The ratings format of a row, from its keys; None when it is not a ratings row."""
    if not isinstance(row, dict):
        return None
    if "ratings" in row and "response" in row:
        return "rewardkit"
    if "response" in row and any(a in row for a in HELPSTEER2_ATTRIBUTES):
        return "helpsteer2"
    if "instruction" in row and "completions" in row:
        return "ultrafeedback"
    return None


def _ratings_parser(format: str | None, file_report: FileReport) -> Callable[[Any, str, str], list[RatedResponse]]:
    chosen = _PARSERS[format] if format else None

    def parse(row: Any, default_id: str, source: str) -> list[RatedResponse]:
        nonlocal chosen
        if not isinstance(row, dict):
            raise FieldError("bad-type", "<row>", f"expected a JSON object, got {type(row).__name__}")
        if chosen is None:
            name = detect_ratings_format(row)
            if name is None:
                raise FieldError("unknown-format", None, f"not a ratings row (keys: {', '.join(sorted(map(str, row)))}); "
                                 f"expected {', '.join(RATING_FORMATS)} rows")
            chosen = _PARSERS[name]
            file_report.format = name
        return chosen(row, default_id, source)

    return parse


def read_ratings(paths: str | Iterable[str], *, format: str | None = None, invalid: InvalidPolicy = "error",
                 report: ReadReport | None = None) -> Iterator[RatedResponse]:
    """Stream `RatedResponse`s from files or hub datasets (ids unique across all of them)."""
    if invalid not in INVALID_POLICIES:
        raise DataError(f"invalid must be one of {', '.join(INVALID_POLICIES)}, not {invalid!r}", field="--invalid")
    if format is not None and format not in _PARSERS:
        raise DataError(f"unknown ratings format {format!r}; known: {', '.join(RATING_FORMATS)}", field="--format")
    report = report if report is not None else ReadReport(unit="rated responses")
    path_list = [paths] if isinstance(paths, str) else [str(p) for p in paths]
    for p in path_list:
        container_of(p)
    seen: dict[str, int] = {}
    for index, path in enumerate(path_list):
        file_report = FileReport(path=path, format=format)
        report.files.append(file_report)
        yield from read_records(path, _ratings_parser(format, file_report), invalid, report, file_report, seen, index, path_list)


def is_ratings_file(path: str) -> bool:
    """Whether a file's first readable row is a ratings row (not a preference pair)."""
    from rewardkit.data.containers import BadRow, iter_rows

    for _, row in iter_rows(path):
        if isinstance(row, BadRow):
            continue
        return detect_ratings_format(row) is not None
    return False


SOURCE_ATTRIBUTES: dict[str, str] = {
    "tatsu-lab/alpaca_eval": "helpfulness",
    "lm-sys/FastChat": "helpfulness",
    "princeton-nlp/LLMBar": "instruction_following",
    "anthropics/hh-rlhf": "harmlessness",
    "synth-math": "correctness",
    "synth-units": "correctness",
    "synth-code": "correctness",
    "synth-instructions": "instruction_following",
    "synth-safety-refuse": "safety",
    "synth-safety-respond": "safety",
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def pair_attributes(pair: PreferencePair) -> list[str]:
    """The attributes a pair is labelled with: its own ``attribute`` field, else its subset's or
    source's default; raises `FieldError` (field ``attribute``) when it has none or a bad one."""
    value = pair.meta.get("attribute")
    if value is None:
        default = SOURCE_ATTRIBUTES.get(pair.subset or "") or SOURCE_ATTRIBUTES.get(pair.source)
        if default is None:
            raise FieldError("no-attribute", "attribute", f"pair {pair.id!r} has no attribute label and its source "
                             f"{pair.source!r} has no default; add \"attribute\": NAME to the row "
                             f"(defaults exist for {', '.join(sorted(SOURCE_ATTRIBUTES))})")
        return [default]
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and _NAME.match(n) for n in names):
        raise FieldError("bad-type", "attribute", f"expected an attribute name (letters, digits, _) or a list of them, got {value!r}")
    return list(names)


__all__ = ["SOURCE_ATTRIBUTES", "pair_attributes", "HELPSTEER2_ATTRIBUTES", "ULTRAFEEDBACK_ATTRIBUTES", "RATING_FORMATS", "parse_helpsteer_prompt", "detect_ratings_format",
           "read_ratings", "is_ratings_file"]
