"""Option values shared by several commands, checked before any work starts."""

from __future__ import annotations

from typing import Annotated, Optional

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


def read_input_pairs(paths: list[str], invalid: str, format: str | None = None):  # noqa: ANN201 - (pairs, ReadReport)
    """The pairs of a command's input files, the read summary printed; no pairs is an error."""
    import sys

    from rewardkit.data.io import ReadReport, load_pairs
    from rewardkit.errors import DataError

    report = ReadReport()
    pairs = load_pairs(paths, format=format, invalid=invalid, report=report)
    print(report.summary(), file=sys.stderr)
    if not pairs:
        raise DataError(no_pairs(paths, report))
    return pairs, report


DTYPE_HELP = ("Weights and compute: auto (the checkpoint's dtype on a GPU; bf16 autocast on a CPU that has fast bf16, "
              "else fp32), bfloat16, float16, or float32 (exact scores).")
DEVICE_MAP_HELP = "accelerate device map for big models: auto spreads the layers over the GPUs (default: one device)."
ATTN_HELP = "Attention implementation: eager, sdpa, flash_attention_2 ... (Gemma-2 reward models need eager)."
REMOTE_CODE_HELP = "Allow a hub model's own Python code to run (off by default)."
BF16_HELP = "Force bf16 autocast on or off, whatever --dtype says (older flag)."

# The loading options, declared once for every command that loads a model (LoadOptions' fields).
DtypeOption = Annotated[str, typer.Option("--dtype", help=DTYPE_HELP)]
DeviceMapOption = Annotated[Optional[str], typer.Option("--device-map", help=DEVICE_MAP_HELP)]
AttnOption = Annotated[Optional[str], typer.Option("--attn-implementation", help=ATTN_HELP)]
RemoteCodeOption = Annotated[bool, typer.Option("--trust-remote-code", help=REMOTE_CODE_HELP)]
Bf16Option = Annotated[Optional[bool], typer.Option("--bf16/--no-bf16", help=BF16_HELP)]


def load_options(dtype: str, device_map: str | None, attn_implementation: str | None, trust_remote_code: bool,
                 bf16: bool | None):  # noqa: ANN201 - LoadOptions, imported lazily
    """`LoadOptions` from the flags, each checked (a usage error names the flag)."""
    from rewardkit.models.loading import ATTN_IMPLEMENTATIONS, DTYPES, LoadOptions

    choice(dtype, DTYPES, "--dtype")
    choice(attn_implementation, tuple(a for a in ATTN_IMPLEMENTATIONS if a), "--attn-implementation")
    return LoadOptions(dtype=dtype, device_map=device_map, attn_implementation=attn_implementation,
                       trust_remote_code=trust_remote_code, bf16=bf16)
