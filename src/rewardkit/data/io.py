"""Read and write preference pairs in any supported format and container.

    pairs = read_pairs(["train.jsonl.gz", "allenai/reward-bench:filtered"])
    write_pairs(pairs, "out.parquet", format="trl")

A file's format is detected from its first row (`rewardkit.data.formats.detect_format`) unless
one is named. What happens to a row that cannot become a valid pair is the caller's choice,
`invalid=`:

* ``"error"`` (default): raise `DataError` naming file, line and field;
* ``"skip"``: leave it out and count it, by reason, in the `ReadReport`;
* ``"keep"``: keep pairs whose *content* is flawed (empty or identical responses, a prompt not
  ending in a user turn, a repeated id) and count them as flagged; rows that cannot become a
  pair at all (bad bytes or JSON, missing fields, wrong types, unknown roles) are left out and
  counted as skipped. This is for describing data as it is (``data stats``), never for training.

One rule for every row error, whatever its kind: bad bytes, malformed JSON, a row that is not
an object, a missing field, a wrong type, a bad role, flawed content and a repeated id all
follow the policy. Only a damaged *container* stops a read whatever the policy (a corrupt gzip
stream or Parquet page, bad bytes inside a JSON array): nothing after the damage can be trusted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from rewardkit.data.containers import BadRow, container_of, iter_rows, write_rows
from rewardkit.data.formats import FORMATS, detect_format, get_format
from rewardkit.data.schema import FieldError, PreferencePair
from rewardkit.errors import DataError

InvalidPolicy = Literal["error", "skip", "keep"]
R = TypeVar("R")
INVALID_POLICIES = ("error", "skip", "keep")


@dataclass
class FileReport:
    path: str
    format: str | None = None
    rows: int = 0
    pairs: int = 0


@dataclass
class ReadReport:
    """What a read saw: rows per file, pairs yielded, and every row left out or flagged, by reason."""

    files: list[FileReport] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)
    unit: str = "pairs"  # what the records are, for the summary ("rated responses" for ratings)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def pairs(self) -> int:
        return sum(f.pairs for f in self.files)

    def summary(self) -> str:
        """One line for the user: rows read, pairs kept, and every row skipped or flagged, by reason."""
        line = f"read {self.rows:,} rows from {len(self.files)} file{'s' * (len(self.files) != 1)}: {self.pairs:,} {self.unit}"
        for label, counts in (("skipped", self.skipped), ("flagged", self.flagged)):
            if counts:
                line += f"; {label} {sum(counts.values()):,} (" + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) + ")"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [vars(f) for f in self.files],
            "rows": self.rows,
            "pairs": self.pairs,
            "skipped": dict(self.skipped),
            "flagged": dict(self.flagged),
        }


def default_source_for(path: str) -> str:
    """The `source` given to rows that have none: the hub id, or the file name without suffixes."""
    if container_of(path) == "hub":
        return path.split(":", 1)[0]
    name = Path(path).name
    for suffix in (".gz", ".jsonl", ".json", ".parquet"):
        name = name.removesuffix(suffix)
    return name


def read_pairs(
    paths: str | Iterable[str],
    *,
    format: str | None = None,
    invalid: InvalidPolicy = "error",
    report: ReadReport | None = None,
) -> Iterator[PreferencePair]:
    """Stream `PreferencePair`s from one or more files or hub datasets.

    Ids must be unique across everything read in one call: a repeated id is a row error like
    any other (``skip`` keeps the first, ``keep`` keeps both and flags the later one).
    """
    if invalid not in INVALID_POLICIES:
        raise DataError(f"invalid must be one of {', '.join(INVALID_POLICIES)}, not {invalid!r}", field="--invalid")
    if format is not None:
        try:
            get_format(format)
        except FieldError as e:
            raise DataError(e.message) from None
    report = report if report is not None else ReadReport()
    path_list = [paths] if isinstance(paths, str) else [str(p) for p in paths]
    for p in path_list:
        container_of(p)  # a missing file or unsupported container fails before any row is read
    seen: dict[str, int] = {}
    for index, path in enumerate(path_list):
        yield from _read_one(path, format, invalid, report, seen, index, path_list)


SKIP_HINT = "; --invalid skip leaves such rows out (counted)"


def _undetectable(row: Any) -> FieldError:
    """Why no format fits a row, naming the field (a row of the wrong shape, a wrong type)."""
    if not isinstance(row, dict):
        return FieldError("bad-type", "<row>", f"expected a JSON object, got {type(row).__name__}")
    if "chosen" not in row and "rejected" not in row:
        return FieldError("unknown-format", None, f"cannot tell the format of this row (keys: {', '.join(sorted(map(str, row)))}); "
                          f"name one with --format ({', '.join(FORMATS)})")
    for name in ("chosen", "rejected"):
        if name not in row:
            return FieldError("missing-field", name, "required field is missing")
        if not isinstance(row[name], (str, list)):
            return FieldError("bad-type", name, f"expected a string or a list of messages, got {type(row[name]).__name__}")
    return FieldError("unknown-format", None, f"cannot tell the format of this row (keys: {', '.join(sorted(map(str, row)))}); "
                      f"name one with --format ({', '.join(FORMATS)})")


def _pair_parser(format: str | None, file_report: FileReport) -> Callable[[Any, str, str], list[PreferencePair]]:
    """Parse rows into pairs, detecting the file's format from its first row unless named."""
    fmt = get_format(format) if format else None

    def parse(row: Any, default_id: str, source: str) -> list[PreferencePair]:
        nonlocal fmt
        if fmt is None:
            name = detect_format(row)
            if name is None:
                raise _undetectable(row)
            fmt = get_format(name)
            file_report.format = name
        if not isinstance(row, dict):  # a later row of another shape (a JSON array's null), or any row of a named format
            raise _undetectable(row)
        return [fmt.parse(row, default_id, source)]

    return parse


def _read_one(path: str, format: str | None, invalid: InvalidPolicy, report: ReadReport, seen: dict[str, int],
              index: int, all_paths: list[str]) -> Iterator[PreferencePair]:
    file_report = FileReport(path=path, format=format)
    report.files.append(file_report)
    yield from read_records(path, _pair_parser(format, file_report), invalid, report, file_report, seen, index, all_paths)


def read_records(path: str, parse: Callable[[Any, str, str], list[R]], invalid: InvalidPolicy, report: ReadReport,
                 file_report: FileReport, seen: dict[str, int], index: int, all_paths: list[str]) -> Iterator[R]:
    """The one row rule for any record type (`PreferencePair`, `RatedResponse`): `parse(row,
    default_id, source)` turns a row into records or raises `FieldError`; records report content
    problems through ``problems()``; ids are unique across `all_paths` (`seen`)."""
    source = default_source_for(path)
    for line, row in iter_rows(path):
        file_report.rows += 1
        try:
            if isinstance(row, BadRow):
                raise FieldError(row.code, None, row.message)
            records = parse(row, f"{source}-{line}", source)
        except FieldError as e:
            # rows that cannot become a record: stop, or leave out and count (``keep`` cannot keep them)
            if invalid == "error":
                raise DataError(e.message + SKIP_HINT, path=path, line=line, field=e.field) from None
            report.skipped[e.code] += 1
            continue
        for record in records:
            problems = record.problems()
            first = seen.setdefault(record.id, (index << 40) | line)
            if first != (index << 40) | line:
                where = f"{all_paths[first >> 40]}:{first & ((1 << 40) - 1)}"
                problems.append(FieldError("duplicate-id", "id", f"duplicate id {record.id!r} (first at {where})"))
            if problems:
                if invalid == "error":
                    p = problems[0]
                    raise DataError(p.message + SKIP_HINT, path=path, line=line, field=p.field)
                counter = report.skipped if invalid == "skip" else report.flagged
                counter[problems[0].code] += 1
                if invalid == "skip":
                    continue
            file_report.pairs += 1
            yield record


def load_pairs(paths: str | Iterable[str], **kwargs: Any) -> list[PreferencePair]:
    """`read_pairs` into a list."""
    return list(read_pairs(paths, **kwargs))


LOSSY_POLICIES = ("warn", "error")


def write_pairs(pairs: Iterable[PreferencePair], path: str, *, format: str = "rewardkit", lossy: str = "warn",
                dropped: Counter[str] | None = None) -> int:
    """Write pairs in a row format to a file (container from the suffix), atomically.

    A format with no place for some of a pair's fields (TRL rows hold no id, subset, margin,
    scores or meta) drops them: ``lossy="warn"`` counts the pairs that lost each field in
    `dropped` for the caller to report, ``lossy="error"`` refuses at the first such pair.
    """
    if lossy not in LOSSY_POLICIES:
        raise DataError(f"lossy must be one of {', '.join(LOSSY_POLICIES)}, not {lossy!r}", field="--lossy")
    try:
        fmt = get_format(format)
    except FieldError as e:
        raise DataError(e.message) from None
    dropped = dropped if dropped is not None else Counter()

    def rows() -> Iterator[dict[str, Any]]:
        for pair in pairs:
            lost = fmt.dropped(pair)
            if lost and lossy == "error":
                raise DataError(f"{format} rows have no place for {', '.join(lost)} (pair {pair.id!r}); write rewardkit "
                                "rows to keep every field, or allow the loss with --lossy warn", path=path, field=lost[0])
            dropped.update(lost)
            try:
                yield fmt.dump(pair)
            except FieldError as e:
                raise DataError(e.message, path=path, field=e.field) from None

    return write_rows(rows(), path)
