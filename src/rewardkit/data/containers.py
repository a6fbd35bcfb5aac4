"""Containers: where rows live. JSONL (plain or gzip), JSON arrays, Parquet, Hugging Face datasets.

Reading streams: JSONL line by line, Parquet by record batch, hub datasets with
``streaming=True``; only JSON arrays are parsed whole (JSON has no record boundaries). Every row
comes with its 1-based line (JSONL) or row number (the others) so that errors can name it.

Writing is atomic: rows go to a temporary file in the target folder, renamed into place at the
end, so an interrupted write never leaves a half file under the real name.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rewardkit.errors import DataError

# Columns whose values are free-form objects; Parquet stores them as JSON text because their
# keys vary from row to row and a columnar schema cannot hold that.
PARQUET_JSON_COLUMNS = ("meta", "scores")
_HUB_ID = re.compile(r"^(?:hf://)?(?:datasets/)?([\w.-]+/[\w.-]+(?:@[\w.-]+)?)(?::([\w.\-\[\]:%]+))?$")

SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".parquet")


@dataclass(frozen=True)
class BadRow:
    """A row that could not be decoded (bad JSON, bad bytes). Readers apply the caller's
    ``invalid`` policy to it like to any other flawed row; `code` is the short name it is counted under."""

    code: str
    message: str


def _kind_from_suffix(path: str) -> str | None:
    lower = path.lower()
    for suffix, kind in ((".jsonl.gz", "jsonl.gz"), (".json.gz", "jsonl.gz"), (".jsonl", "jsonl"), (".json", "json"), (".parquet", "parquet")):
        if lower.endswith(suffix):
            return kind
    return None


def container_of(path: str) -> str:
    """The container kind of a path: jsonl, jsonl.gz, json, parquet or hub."""
    kind = _kind_from_suffix(path)
    if kind is not None:
        return kind
    if os.path.isdir(path):
        raise DataError(f"is a directory; give a data file ({', '.join(SUFFIXES)})", path=path)
    suffix = Path(path).suffix
    if re.fullmatch(r"\.[A-Za-z][A-Za-z0-9]{0,7}", suffix):  # a file extension (.csv, .txt), not a hub name's ".2"
        raise DataError(f"unsupported container {suffix!r}; expected one of {', '.join(SUFFIXES)} "
                        "or a Hugging Face dataset id", path=path)
    if not os.path.exists(path) and _HUB_ID.match(path):
        return "hub"
    if os.path.exists(path):
        raise DataError(f"unknown file type; expected one of {', '.join(SUFFIXES)} or a Hugging Face dataset id", path=path)
    raise DataError("no such file", path=path)


def output_container(path: str) -> str:
    """The container an output file is written in, from its suffix alone (it need not exist)."""
    kind = _kind_from_suffix(path)
    if kind is not None:
        return kind
    if os.path.isdir(path):
        raise DataError(f"is a directory; give a file ending in {', '.join(SUFFIXES)}", path=path)
    suffix = Path(path).suffix
    what = f"unsupported container {suffix!r}" if suffix else "no file suffix to tell the container from"
    raise DataError(f"{what}; end the output's name in {', '.join(SUFFIXES)}", path=path)


def iter_rows(path: str) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_or_row_number, row)`` for every row of a file or hub dataset.

    A row that cannot be decoded comes as a `BadRow` (the caller decides: stop, skip or count).
    A damaged container (a corrupt gzip stream, a broken Parquet page, bad bytes inside a JSON
    array) cannot be read past, and raises `DataError` naming the file and where it broke.
    """
    kind = container_of(path)
    if kind == "hub":
        yield from _iter_hub(path)
        return
    if os.path.isdir(path):
        raise DataError(f"is a directory; give a data file ({', '.join(SUFFIXES)})", path=path)
    if not os.path.isfile(path):
        raise DataError("no such file", path=path)
    if kind in ("jsonl", "jsonl.gz"):
        yield from _iter_jsonl(path, gz=kind == "jsonl.gz")
    elif kind == "json":
        yield from _iter_json(path)
    else:
        yield from _iter_parquet(path)


def _decode_line(raw: bytes) -> Any:
    """One JSON Lines record from its bytes, or a `BadRow` saying what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return BadRow("not-utf8", f"not UTF-8 text: byte 0x{raw[e.start]:02x} at column {e.start + 1}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        return BadRow("malformed-json", f"malformed JSON: {e.msg} (column {e.pos + 1})")
    except RecursionError:
        return BadRow("malformed-json", "malformed JSON: nested too deeply")


def _iter_jsonl(path: str, gz: bool) -> Iterator[tuple[int, Any]]:
    """Lines are decoded one at a time, so an error names its own line, not its buffer's."""
    line_no = 0
    try:
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
            for line_no, raw in enumerate(f, start=1):
                if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]  # a UTF-8 byte-order mark
                if not raw.strip():
                    continue
                yield line_no, _decode_line(raw)
    except (OSError, EOFError, zlib.error) as e:  # gzip corruption (BadGzipFile is an OSError), truncation, I/O
        what = "corrupt or truncated gzip stream" if gz and not isinstance(e, PermissionError) else "cannot read"
        raise DataError(f"{what}: {e.strerror if isinstance(e, OSError) and e.strerror else e}", path=path,
                        line=line_no + 1) from None


def _whole_json(data: bytes, path: str) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DataError(f"not UTF-8 text: byte 0x{data[e.start]:02x}", path=path, line=line) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(f"malformed JSON: {e.msg} (column {e.colno})", path=path, line=e.lineno) from None
    except RecursionError:
        raise DataError("malformed JSON: nested too deeply", path=path) from None


def _iter_json(path: str) -> Iterator[tuple[int, Any]]:
    """A JSON array of row objects; JSON Lines under a ``.json`` name is read as JSON Lines."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16).lstrip(b"\xef\xbb\xbf \t\r\n")
            first_line = head.split(b"\n", 1)[0]
            if not head:
                return
            # Many ".json" preference files are JSON Lines in disguise; a single object or value
            # spread over lines is not, and gets a message that says what it is.
            if head.startswith(b"{") and not isinstance(_decode_line(first_line), BadRow):
                yield from _iter_jsonl(path, gz=False)
                return
            f.seek(0)
            whole = f.read()
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror or e}", path=path) from None
    data = _whole_json(whole, path)
    if not isinstance(data, list):
        kind = {dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}.get(type(data), "a number")
        raise DataError(f"expected a JSON array of objects (or JSON Lines), got {kind}", path=path)
    for i, row in enumerate(data, start=1):
        yield i, row


def _iter_parquet(path: str) -> Iterator[tuple[int, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as e:
        raise DataError(f"not a readable Parquet file: {e}", path=path) from None
    n = 0
    batches = pf.iter_batches(batch_size=1024)
    while True:
        try:
            batch = next(batches, None)
            rows = batch.to_pylist() if batch is not None else None
        except (pa.ArrowException, OSError, ValueError) as e:  # a corrupt page, a bad column chunk
            raise DataError(f"corrupt Parquet data after row {n}: {e}", path=path, line=n + 1) from None
        if rows is None:
            return
        for row in rows:
            n += 1
            for col in PARQUET_JSON_COLUMNS:
                value = row.get(col)
                if isinstance(value, str):
                    decoded = _decode_line(value.encode("utf-8"))
                    row[col] = BadRow(decoded.code, f"field '{col}': {decoded.message}") if isinstance(decoded, BadRow) else decoded
            bad = next((v for v in row.values() if isinstance(v, BadRow)), None)
            yield n, bad if bad is not None else row


@dataclass(frozen=True)
class HubDataset:
    """How a known hub dataset is read when the spec leaves it open."""

    split: str  # the default split
    config_is_data_dir: bool = False  # ``@NAME`` picks a folder (hh-rlhf's harmless-base...), not a config


# The datasets users name most, with the split that makes sense by default: RewardBench is
# evaluated on `filtered` (the official leaderboard's 2,985 pairs), hh-rlhf's subsets are folders.
KNOWN_HUB_DATASETS = {
    "allenai/reward-bench": HubDataset("filtered"),
    "Anthropic/hh-rlhf": HubDataset("test", config_is_data_dir=True),
    "Skywork/Skywork-Reward-Preference-80K-v0.2": HubDataset("train"),
    "Skywork/Skywork-Reward-Preference-80K-v0.1": HubDataset("train"),
    "HuggingFaceH4/ultrafeedback_binarized": HubDataset("test_prefs"),
    "trl-lib/ultrafeedback_binarized": HubDataset("test"),
    "nvidia/HelpSteer2": HubDataset("validation"),
}


def parse_hub_id(spec: str) -> tuple[str, str]:
    """``owner/name[@config][:split]`` -> (dataset id, split); see `parse_hub_spec`."""
    dataset_id, split, _ = parse_hub_spec(spec)
    return dataset_id, split


def parse_hub_spec(spec: str) -> tuple[str, str, str | None]:
    """``owner/name[@config][:split]`` -> (dataset id, split, config).

    The split defaults to the known dataset's (``allenai/reward-bench`` -> ``filtered``), else
    ``train``. ``@config`` names a dataset config, or for hh-rlhf its folder
    (``Anthropic/hh-rlhf@harmless-base:test``).
    """
    m = _HUB_ID.match(spec)
    if not m:
        raise DataError("not a Hugging Face dataset id (expected owner/name[@config][:split])", path=spec)
    dataset_id, config = m.group(1), None
    if "@" in dataset_id:
        dataset_id, config = dataset_id.split("@", 1)
    known = KNOWN_HUB_DATASETS.get(dataset_id)
    return dataset_id, m.group(2) or (known.split if known else "train"), config or None


def _iter_hub(spec: str) -> Iterator[tuple[int, Any]]:
    dataset_id, split, config = parse_hub_spec(spec)
    from rewardkit.embedded import hub_reachable

    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        raise DataError("the Hugging Face Hub is unreachable: HF_HUB_OFFLINE is set", path=spec)
    if not hub_reachable():
        raise DataError("the Hugging Face Hub is unreachable (no network?); give a local file, e.g. one written by "
                        "`rewardkit data convert ID:SPLIT FILE.jsonl` on a machine with network", path=spec)
    try:
        import datasets

        known = KNOWN_HUB_DATASETS.get(dataset_id)
        where: dict[str, Any] = {}
        if config:
            where = {"data_dir": config} if known and known.config_is_data_dir else {"name": config}
        ds = datasets.load_dataset(dataset_id, split=split, streaming=True, **where)
        rows = iter(ds)
        first = next(rows, None)
    except (ConnectionError, OSError, TimeoutError) as e:
        raise DataError(
            f"the Hugging Face Hub is unreachable (no network?), cannot load dataset {dataset_id!r}: {e}",
            path=spec,
        ) from None
    except ValueError as e:  # unknown split, bad config
        raise DataError(f"cannot load dataset {dataset_id!r} split {split!r}{f' config {config!r}' if config else ''}: {e}",
                        path=spec) from None
    if first is None:
        return
    yield 1, first
    for i, row in enumerate(rows, start=2):
        yield i, row


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale_temps(target: Path) -> int:
    """Remove ``.NAME.tmp-PID`` files beside `target` whose writer is gone (killed with SIGKILL,
    which no handler sees). Files of live processes are left alone. Returns how many went."""
    removed = 0
    try:
        candidates = list(target.parent.glob(f".{target.name}.tmp-*"))
    except OSError:
        return 0
    for tmp in candidates:
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            try:
                tmp.unlink()
                removed += 1
            except OSError:
                pass
    return removed


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds.

    The temporary file is removed on any failure, SIGINT and SIGTERM included (the CLI turns
    SIGTERM into an exception); one left by a SIGKILLed run is removed by the next write to the
    same target. OS errors while writing become a `DataError` naming the target.
    """
    target = Path(path)
    if target.is_dir():
        raise DataError("is a directory; expected a file to write", path=str(target))
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(target)
        yield tmp
        os.replace(tmp, target)
    except OSError as e:
        raise DataError(f"cannot write: {e.strerror or e}", path=str(target)) from None
    finally:
        try:
            if tmp.exists():
                tmp.unlink()
        except OSError:
            pass


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_rows(rows: Iterable[dict[str, Any]], path: str) -> int:
    """Write rows to `path` (container from its suffix), atomically. Returns the row count.

    JSONL and JSONL.gz stream; JSON and Parquet collect the rows first (one document / one table).
    """
    if os.path.isdir(path):
        raise DataError(f"is a directory; give a file ending in {', '.join(SUFFIXES)}", path=path)
    kind = output_container(path)
    n = 0
    with atomic_path(path) as tmp:
        if kind in ("jsonl", "jsonl.gz"):
            raw: IO[bytes] = gzip.open(tmp, "wb", compresslevel=6) if kind == "jsonl.gz" else open(tmp, "wb")
            with raw, io.TextIOWrapper(raw, encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row, ensure_ascii=False))
                    f.write("\n")
                    n += 1
        elif kind == "json":
            data = list(rows)
            n = len(data)
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            data = [
                {k: json.dumps(v, ensure_ascii=False) if k in PARQUET_JSON_COLUMNS else v for k, v in row.items()}
                for row in rows
            ]
            n = len(data)
            pq.write_table(pa.Table.from_pylist(data), tmp)
    return n
