"""Conventions shared by every command of the `evolve`, `promote` and `live` CLIs.

- `--config FILE` (or LAB_CONFIG): a user TOML merged over `default.toml`.
- `--db URL` (or LAB_DB): the research database, `sqlite:///research.db` by default.
- Secrets only from the environment.
- Exit codes, decided here and nowhere else: 0 success; 2 bad input or configuration, with the
  reason on stderr; 1 a failed outside service (reason on stderr) or an unexpected failure, whose
  traceback goes to `<log.dir>/errors.log` rather than the terminal.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from configs.alerts import alert
from configs.errors import InputError, ServiceError
from configs.loader import load_config
from configs.schema import LabConfig

__all__ = ["DEFAULT_DB", "CommandContext", "LabGroup", "lab_command_options"]

DEFAULT_DB = "sqlite:///research.db"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CommandContext:
    """What every command receives: the effective configuration and the database URL."""

    config: LabConfig
    db_url: str


def lab_command_options(command: F) -> F:
    """Add --config and --db to a command and pass it a `CommandContext` as `lab`."""

    @click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        envvar="LAB_CONFIG",
        help="TOML file merged over the defaults (env LAB_CONFIG).",
    )
    @click.option(
        "--db",
        "db_url",
        default=DEFAULT_DB,
        show_default=True,
        envvar="LAB_DB",
        help="research database URL (env LAB_DB).",
    )
    @wraps(command)
    def wrapper(*args: Any, config_path: str | None, db_url: str, **kwargs: Any) -> Any:
        config = load_config(config_path)
        click.get_current_context().meta["lab.log_dir"] = config.log.dir
        logging.basicConfig(
            level=config.log.level,
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        for chatty in ("alembic", "matplotlib"):  # store logs its own migrations
            logging.getLogger(chatty).setLevel(logging.WARNING)
        return command(*args, lab=CommandContext(config, db_url), **kwargs)

    return wrapper  # type: ignore[return-value]


class LabGroup(click.Group):
    """A click group that turns the lab's errors into the documented exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as e:
            click.echo(f"error: {e}", err=True)
            ctx.exit(2)
        except ServiceError as e:
            click.echo(f"error: {e}", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:
            command = " ".join(filter(None, (ctx.command_path, ctx.invoked_subcommand)))
            log = _write_traceback(Path(ctx.meta.get("lab.log_dir", "logs")), command)
            message = f"unexpected error: {type(e).__name__}: {e} (traceback in {log})"
            click.echo(message, err=True)
            alert("crash", f"{command} crashed", message)
            ctx.exit(1)


def _write_traceback(folder: Path, command: str) -> Path:
    path = folder / "errors.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("a") as log:
            log.write(f"--- {dt.datetime.now(dt.UTC).isoformat()} {command}\n")
            log.write(traceback.format_exc())
    except OSError:
        return Path("(unwritable log: the traceback follows)\n" + traceback.format_exc())
    return path
