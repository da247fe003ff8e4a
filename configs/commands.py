"""Conventions shared by every command of the `evolve`, `promote` and `live` CLIs.

- `--home DIR` (or LAB_HOME): the lab's folder, which holds research.db, the locks, HALT, logs,
  backups, charts and the data cache (every relative default path is resolved from it); by
  default the folder of the config file, else `$XDG_DATA_HOME/gplab` (~/.local/share/gplab).
- `--config FILE` (or LAB_CONFIG): a user TOML merged over `default.toml`.
- `--db URL` (or LAB_DB): the research database, `sqlite:///<home>/research.db` by default; a
  SQLite file that does not exist is refused while the home holds a research.db (a mistyped
  path would start an empty lab), unless `--create`.
- Secrets only from the environment.
- Exit codes, decided here and nowhere else: 0 success; 2 bad input or configuration, with the
  reason on stderr; 1 a failed outside service (reason on stderr) or an unexpected failure, whose
  traceback goes to `<log.dir>/errors.log` rather than the terminal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import logging
import os
import platform
import shlex
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal, TypeVar

import click
from typing_extensions import override

from configs.alerts import alert, install_alert_handler
from configs.errors import ConfigurationError, InputError, ServiceError
from configs.lab_folder import (
    LAB_MARK,
    database_file_problem,
    full_disk,
    is_lab,
    restore_advice,
)
from configs.loader import load_config
from configs.output import shown
from configs.schema import LabConfig
from configs.version import code_version

__all__ = [
    "CommandContext",
    "LabGroup",
    "database_url",
    "lab_command_options",
    "lab_home",
    "sqlite_path",
]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CommandContext:
    """What every command receives: the lab's home, the effective configuration (its default
    paths resolved from the home) and the database URL."""

    home: Path
    config: LabConfig
    db_url: str
    # Why the lab's database cannot be used (missing, not a database), for a command that can
    # do without it (`live halt`); every other command is refused before it starts.
    database_problem: str | None = None
    # The command as typed, without its options ("evolve nightly", "live run").
    command: str = ""


def lab_home(home: str | None, config_path: str | None, db_url: str | None = None) -> Path:
    """The lab's folder: `home` if given, else the config file's folder, else the folder of a
    SQLite `db_url`, else `$XDG_DATA_HOME/gplab` (~/.local/share/gplab)."""
    if home:
        return Path(home).expanduser().resolve()
    if config_path:
        return Path(config_path).expanduser().resolve().parent
    database = sqlite_path(db_url) if db_url else None
    if database is not None:
        return database.expanduser().resolve().parent
    return (
        Path(os.environ.get("XDG_DATA_HOME") or "~/.local/share").expanduser() / "gplab"
    ).resolve()


def database_url(home: Path, db_url: str | None, create: bool) -> str:
    """The research database of the lab at `home`: `db_url`, or its research.db.

    Raises:
        ConfigurationError: `db_url` names a SQLite file that does not exist while the lab
            already has its research.db, and `create` is False.
    """
    own = home / "research.db"
    if db_url is None:
        return f"sqlite:///{own}"
    db_url = as_url(db_url)
    path = sqlite_path(db_url)
    if path is not None and not path.exists() and own.exists() and not create:
        raise ConfigurationError(
            f"--db: {path} does not exist, and this lab's database is {own}; pass --create to "
            "start a new database there"
        )
    return db_url


def as_url(db: str) -> str:
    """`db` as a database URL: a plain file path names a SQLite file."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    from sqlalchemy.engine import make_url  # SQLAlchemy is a slow import: --help needs none

    parsed = make_url(as_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:"):  # a SQLite URI: file:PATH?mode=ro&uri=true
        return Path(parsed.database.removeprefix("file:").split("?", 1)[0])
    return Path(parsed.database)


# What a command needs of its --home: "lab" (a lab's folder, else it refuses: a mistyped home
# must not start an empty lab or halt nothing), "makes" (the first `evolve nightly` and `evolve
# init` make the lab) or "any" (tools that read only the data: `backtest`, `data info`...).
Needs = Literal["lab", "makes", "any"]


def lab_command_options(
    command: F | None = None, *, needs: Needs = "lab", database: bool = True
) -> Any:
    """Add --home, --config, --db and --create to a command and pass it a `CommandContext` as
    `lab`. `needs` says what the home must be (a lab unless said otherwise); `database` False
    lets a lab command run when its research database is missing or damaged (`live halt`).

    Raises:
        ConfigurationError: (when run) the home is not a lab and the command needs one, the
            database is another lab's, or it is missing or not a database.
    """
    if command is None:
        return lambda found: lab_command_options(found, needs=needs, database=database)

    @click.option(
        "--home",
        "home",
        type=click.Path(file_okay=False),
        envvar="LAB_HOME",
        help="the lab's folder: research.db, locks, HALT, logs, backups, charts (env LAB_HOME; "
        "default: the --config file's folder, else $XDG_DATA_HOME/gplab, "
        "~/.local/share/gplab).",
    )
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
        envvar="LAB_DB",
        help="research database: a URL or a SQLite file (env LAB_DB; default: research.db in "
        "the lab's folder, which is then the file's folder unless --home or --config say).",
    )
    @click.option(
        "--create",
        is_flag=True,
        help="let --db name a SQLite file that does not exist yet (a new database).",
    )
    @wraps(command)
    def wrapper(
        *args: Any,
        home: str | None,
        config_path: str | None,
        db_url: str | None,
        create: bool,
        **kwargs: Any,
    ) -> Any:
        folder = lab_home(home, config_path, db_url)
        config = load_config(config_path, folder)
        url = database_url(folder, db_url, create)
        problem = _check_home(folder, url, Path(config.store.backup_dir), needs, create)
        if problem is not None and database:
            raise ConfigurationError(problem)
        if needs == "makes":
            _make_folder(folder)
        elif needs == "any" and not is_lab(folder):
            config = _cache_outside(folder, config)
        meta = click.get_current_context().meta
        meta["lab.log_dir"] = config.log.dir
        if needs != "any":  # for an error met once the database is open (damaged pages)
            meta["lab.database"] = (url, Path(config.store.backup_dir))
        logging.basicConfig(
            level=config.log.level,
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        install_alert_handler()
        for chatty in ("alembic", "matplotlib"):  # store logs its own migrations
            logging.getLogger(chatty).setLevel(logging.WARNING)
        typed = click.get_current_context().command_path
        context = CommandContext(folder, config, url, problem, typed)
        return command(*args, lab=context, **kwargs)

    return wrapper


def _cache_outside(folder: Path, config: LabConfig) -> LabConfig:
    """`config` with its data cache moved out of `folder`, which is not a lab: a data tool run
    with a mistyped --home creates nothing there. The cache goes to $XDG_CACHE_HOME/gplab."""
    cache = Path(config.data.cache_dir)
    if not cache.is_relative_to(folder):
        return config
    user_cache = Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "gplab"
    data = dataclasses.replace(config.data, cache_dir=str(user_cache.resolve()))
    return dataclasses.replace(config, data=data)


def _check_home(home: Path, url: str, backup_dir: Path, needs: Needs, create: bool) -> str | None:
    """Refuse a home that is not what the command needs; why its database cannot be used (a
    command that can do without it still runs), or None.

    Raises:
        ConfigurationError: the home is not a lab and the command needs one, or the database
            is another lab's.
    """
    if needs == "lab" and not is_lab(home):
        raise ConfigurationError(
            f"{home} is not a lab (no research.db): check --home, LAB_HOME or --config; "
            "a lab is made by its first `evolve nightly`"
        )
    if needs == "any":
        return None
    _refuse_another_labs_database(home, url)
    return _database_problem(home, url, backup_dir, create)


def _refuse_another_labs_database(home: Path, url: str) -> None:
    """Refuse a --db that is another lab's research.db: the command would act on the HALT,
    locks and logs of `home` and on the records of the other lab."""
    path = sqlite_path(url)
    if path is None:
        return
    path = path.expanduser().resolve()
    other = path.parent
    if other != home and path.name == "research.db" and (other / LAB_MARK).exists():
        raise ConfigurationError(
            f"--db {shown(str(path))} is the research database of the lab {shown(str(other))}, "
            f"not of {shown(str(home))} (--home, LAB_HOME or --config), whose HALT, locks and "
            f"logs these are; run the command with --home {shlex.quote(str(other))}"
        )


def _database_problem(home: Path, url: str, backup_dir: Path, create: bool) -> str | None:
    """Why the lab at `home` cannot use its SQLite database `url` (missing from the lab, not a
    database); None when it can, or is no SQLite file."""
    path = sqlite_path(url)
    return None if path is None else database_file_problem(home, path, backup_dir, create)


def _make_folder(folder: Path) -> None:
    # The lab's database, then its mark, are made by the command (store.make_lab).
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigurationError(f"--home: cannot make the lab {folder}: {e.strerror}") from e


def _print_version(ctx: click.Context, _: click.Parameter, asked: bool) -> None:
    if asked and not ctx.resilient_parsing:
        click.echo(
            f"{ctx.command_path} (gplab) {code_version()}, Python {platform.python_version()}"
        )
        ctx.exit()


class LabGroup(click.Group):
    """A click group that turns the lab's errors into the documented exit codes.

    `plugins` names an entry-point group whose entries are more commands of this group (a
    package that may not be imported by this one adds its command there); each is loaded only
    when it is run or its help is asked for.
    """

    def __init__(self, *args: Any, plugins: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plugins = plugins
        self.params.append(
            click.Option(
                ["--version"],
                is_flag=True,
                expose_value=False,
                is_eager=True,
                callback=_print_version,
                help="print the lab's version (and git commit) and exit.",
            )
        )

    def _plugins(self) -> dict[str, Any]:
        if self.plugins is None:
            return {}
        return {e.name: e for e in entry_points(group=self.plugins)}

    @override
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    @override
    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in (found := self._plugins()):
            command = found[cmd_name].load()
        return command

    @override
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
        except OSError as e:
            if e.errno not in _PATH_ERRORS:
                raise
            # A path the user gave (or configured) that cannot be used: their input, not a crash.
            click.echo(f"error: {e.filename or 'a file'}: {e.strerror}", err=True)
            ctx.exit(2)
        except Exception as e:
            problem = _storage_problem(e, ctx.meta.get("lab.database"))
            if problem is not None:
                code, text = problem
                click.echo(f"error: {text}", err=True)
                ctx.exit(code)
            command = " ".join(filter(None, (ctx.command_path, ctx.invoked_subcommand)))
            # Into the lab's own logs/ (the Health page reads them); before the lab is known,
            # onto stderr rather than into whatever folder the command was run from.
            folder = ctx.meta.get("lab.log_dir")
            log = _write_traceback(Path(folder), command) if folder else _STDERR
            message = f"unexpected error: {type(e).__name__}: {e} (traceback in {log})"
            if log is _STDERR:
                click.echo(traceback.format_exc(), err=True)
            click.echo(message, err=True)
            alert("crash", f"{command} crashed", message)
            ctx.exit(1)


def _storage_problem(error: Exception, database: tuple[str, Path] | None) -> tuple[int, str] | None:
    """The exit code and one line for a database that cannot be written (a read-only file or
    disk: 2, the user's to fix), that is damaged (2, with the way out: `database` is its URL
    and the backups' folder) or whose disk is full or failing (1); None for other errors."""
    database_errors = sys.modules.get("sqlalchemy.exc")  # not imported: not a database error
    if database_errors is None or not isinstance(error, database_errors.DatabaseError):
        return None
    reason = str(error.orig)
    path = sqlite_path(database[0]) if database else None
    if any(damage in reason for damage in _DAMAGED):
        where, advice = "research.db", "restore its newest backup"
        if path is not None and database is not None:
            where, advice = str(path), restore_advice(path, database[1])
        return 2, f"the research database {shown(where)} is damaged ({reason}); {advice}"
    if not isinstance(error, database_errors.OperationalError):
        return None
    if "readonly database" in reason:
        return 2, (
            f"the research database cannot be written ({reason}): check the permissions of "
            "research.db and its folder, and that its disk is not mounted read-only"
        )
    if "disk is full" in reason or "disk I/O error" in reason:
        full = full_disk(path, reason)
        return (
            1,
            full or f"the research database's disk failed ({reason}); nothing was half-written",
        )
    return None


_STDERR = Path("(stderr: no lab folder yet)")
# What SQLite says of a file that is not a database, or whose pages were overwritten.
_DAMAGED = ("file is not a database", "database disk image is malformed")
# File errors that name a path the user can fix (exit 2), as opposed to a failing disk.
_PATH_ERRORS = {
    errno.ENOENT,
    errno.EACCES,
    errno.EPERM,
    errno.EISDIR,
    errno.ENOTDIR,
    errno.EROFS,
    errno.ENAMETOOLONG,
    errno.EEXIST,
}


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
