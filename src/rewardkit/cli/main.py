"""The `rewardkit` command. Each command group lives in its own module; heavy imports (torch,
transformers) happen inside the command functions so that `rewardkit --help` stays fast.

Exit codes: 0 success; 2 bad usage or bad input (one line on stderr, no traceback); 1 anything
else (a bug: the traceback is shown).
"""

from __future__ import annotations

import os
import signal
import sys
import threading

import typer
from typer._click import exceptions as click  # typer vendors click; its errors live here

from rewardkit import __version__
from rewardkit.cli import curate as curate_cli
from rewardkit.cli import data as data_cli
from rewardkit.cli import evaluate as eval_cli
from rewardkit.cli import explain as explain_cli
from rewardkit.cli import judge as judge_cli
from rewardkit.cli import quickstart as quickstart_cli
from rewardkit.cli import rerank as rerank_cli
from rewardkit.cli import score as score_cli
from rewardkit.cli import serve as serve_cli
from rewardkit.cli import train as train_cli
from rewardkit.errors import RewardkitError

app = typer.Typer(
    name="rewardkit",
    help="Reward models and LLM judges: curate, train, score, judge, evaluate, serve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data_cli.app, name="data")
app.add_typer(train_cli.app, name="train")
app.add_typer(curate_cli.app, name="curate")
app.command("score")(score_cli.score)
app.command("judge")(judge_cli.judge)
app.command("eval")(eval_cli.eval_command)
app.command("quickstart")(quickstart_cli.quickstart)
app.command("serve")(serve_cli.serve)
app.command("rerank")(rerank_cli.rerank)
app.command("explain")(explain_cli.explain)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rewardkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Reward models and LLM judges: curate, train, score, judge, evaluate, serve."""


# Options that take several values after one flag (`--data a.jsonl b.jsonl`, or a shell glob),
# as DESIGN.md writes them; click takes one value per flag, so they are spread out before parsing.
MULTI_VALUE_OPTIONS = ("--data", "--eval-data", "--against", "--compare")


def spread_multi_values(argv: list[str]) -> list[str]:
    """``--data a b --x`` -> ``--data a --data b --x``."""
    out: list[str] = []
    current: str | None = None
    for arg in argv:
        if arg.startswith("-"):
            current = arg if arg in MULTI_VALUE_OPTIONS else None
            out.append(arg)
        elif current is not None and out[-1] != current:
            out += [current, arg]
        else:
            out.append(arg)
    return out


def route_curate_config(argv: list[str]) -> list[str]:
    """``curate CONFIG.yaml ...`` -> ``curate run CONFIG.yaml ...`` (DESIGN's form; the steps are subcommands)."""
    if len(argv) >= 2 and argv[0] == "curate" and not argv[1].startswith("-") and argv[1] not in curate_cli.SUBCOMMANDS:
        return [argv[0], "run", *argv[1:]]
    return argv


class _Signals:
    """SIGTERM becomes an exception like Ctrl-C, so that every ``finally`` runs: temporary files
    are removed and output folders marked FAILED, as on an interrupt (SIGKILL cannot be caught;
    the next write to the same target removes what it left, see `atomic_path`)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.previous = None

    def _handle(self, signum, frame):  # noqa: ANN001 - signal handler signature
        self.received = signum
        raise KeyboardInterrupt

    def __enter__(self) -> "_Signals":
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    0 success; 2 bad usage or bad input, as one line ``rewardkit: error: <where>: <what>`` on
    stderr; 130 (143 for SIGTERM) when interrupted; 1 with a traceback for anything else, which
    is a bug.
    """
    # Hugging Face's own bars ("Loading weights", downloads) clutter logs; rewardkit shows its own.
    # Read when huggingface_hub is imported, which the commands do later.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    command = typer.main.get_command(app)
    args = spread_multi_values(route_curate_config(list(sys.argv[1:] if argv is None else argv)))
    with _Signals() as signals:
        try:
            code = command.main(args=args, prog_name="rewardkit", standalone_mode=False)
        except click.NoArgsIsHelpError:  # the help has been printed
            return 2
        except click.UsageError as e:  # bad flags and values, before any work
            where = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
            print(f"rewardkit: error: {_one_line(e.format_message())}{where}", file=sys.stderr)
            return 2
        except click.ClickException as e:
            print(f"rewardkit: error: {_one_line(e.format_message())}", file=sys.stderr)
            return 2
        except RewardkitError as e:
            print(f"rewardkit: error: {_one_line(str(e))}", file=sys.stderr)
            return 2
        except (KeyboardInterrupt, typer.Abort):
            code = 130
        except SystemExit as e:
            return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if code == 130 or signals.received is not None:
            print("rewardkit: interrupted; outputs in progress were removed or marked FAILED", file=sys.stderr)
            return 128 + signals.received if signals.received is not None else 130
        return code if isinstance(code, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
