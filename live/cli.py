"""The `live` command line: trade the approved strategies (`run`), see the account (`status`),
and the kill switch (`halt`, `resume`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from configs.commands import CommandContext, LabGroup, lab_command_options

if TYPE_CHECKING:
    from store import Database

__all__ = ["main"]


@click.group(cls=LabGroup)
def main() -> None:
    """Trade the approved strategies: sim (a replay of the data) or Alpaca (paper by default)."""


def _database(lab: CommandContext) -> Database:
    from store import open_database

    return open_database(lab.db_url, lab.config.store.busy_timeout_ms)


@main.command("run")
@click.option(
    "--broker",
    type=click.Choice(["sim", "alpaca"]),
    help="where to trade (default: live.broker of the configuration).",
)
@click.option("--once", is_flag=True, help="one cycle, then exit (alpaca).")
@click.option("--live", "real_money", is_flag=True, help="trade real money (alpaca; else paper).")
@click.option("--days", type=click.IntRange(min=1), help="sim: replay the last DAYS sessions.")
@click.option("--resume", is_flag=True, help="sim: continue the newest unfinished replay.")
@lab_command_options
def run(
    lab: CommandContext,
    broker: str | None,
    once: bool,
    real_money: bool,
    days: int | None,
    resume: bool,
) -> None:
    """Trade the approved strategies until stopped (SIGTERM or SIGINT finish the current step,
    save and exit 0). With the sim broker: replay the last --days sessions and report."""
    from live.running import run_alpaca, run_replay

    if (broker or lab.config.live.broker) == "sim":
        if real_money or once:
            raise click.BadParameter("--live and --once are for --broker alpaca")
        if days is not None and resume:
            raise click.BadParameter("--days starts a new replay; --resume continues one")
        lines = run_replay(lab, _database(lab), days, resume)
    else:
        if days is not None or resume:
            raise click.BadParameter("--days and --resume are for --broker sim")
        lines = run_alpaca(lab, _database(lab), real_money, once)
    click.echo("\n".join(lines))


@main.command("status")
@click.option("--account", help="account name (default: the newest one).")
@lab_command_options
def status(lab: CommandContext, account: str | None) -> None:
    """Positions, settled and unsettled cash, today's orders and fills, P&L, halted or not, and
    the last reconciliation."""
    from pathlib import Path

    from live.halt import HaltSwitch
    from live.status import status_lines

    halted = HaltSwitch(Path(lab.config.live.halt_file)).reason()
    click.echo(f"lab home: {lab.home} (HALT file: {lab.config.live.halt_file})")
    with _database(lab).transaction() as session:
        click.echo("\n".join(status_lines(session, account, halted)))


@main.command("halt")
@click.option("--reason", required=True, help="why trading stops (recorded).")
@lab_command_options
def halt(lab: CommandContext, reason: str) -> None:
    """Stop every order at once: writes the HALT file (live.halt_file), which `live run` checks
    before every order."""
    import getpass
    from pathlib import Path

    from live.halt import HaltSwitch, halt_trading

    path = Path(lab.config.live.halt_file)
    warning = halt_trading(path, lambda: _database(lab), reason, getpass.getuser())
    click.echo(f"halted: {HaltSwitch(path).reason()} ({path})")
    if warning:
        click.echo(f"warning: {warning}", err=True)


@main.command("resume")
@lab_command_options
def resume(lab: CommandContext) -> None:
    """Allow orders again (removes the HALT file)."""
    from pathlib import Path

    from live.halt import HaltSwitch
    from live.records import add_event

    previous = HaltSwitch(Path(lab.config.live.halt_file)).resume()
    if previous is None:
        click.echo("not halted: nothing to resume")
        return
    with _database(lab).transaction() as session:
        add_event(session, None, "resume", True, f"resumed (was: {previous})")
    click.echo(f"resumed (was: {previous})")


@main.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--set-password",
    is_flag=True,
    help="ask for the dashboard's password, store its scrypt hash in the lab's folder and stop.",
)
@lab_command_options
def dashboard(lab: CommandContext, host: str, port: int, set_password: bool) -> None:
    """Serve the morning page on http://HOST:PORT/: the nights with their lineage, the
    candidates with their gate reports and the review (holdout, approve, reject, skip), live
    trading with its halt button and decay watch, and the lab's health. Without a password only
    this machine can reach it; once one is set (--set-password), every page asks for it and
    --host may name another address."""
    import uvicorn

    from dashboard.app import make_app
    from dashboard.security import has_password
    from dashboard.security import set_password as store_password

    if set_password:
        password = click.prompt("new dashboard password", hide_input=True, confirmation_prompt=True)
        try:
            path = store_password(lab.home, password)
        except ValueError as e:
            raise click.UsageError(str(e)) from e
        click.echo(f"password set ({path}); every page now asks for it")
        return
    if host not in ("127.0.0.1", "localhost", "::1") and not has_password(lab.home):
        raise click.UsageError(
            f"--host {host}: another machine may reach the dashboard only with a login; set a "
            "password first (live dashboard --set-password), or reach it through an SSH "
            "tunnel (ssh -L 8765:127.0.0.1:8765 pi)"
        )
    app = make_app(_database(lab), lab.home, lab.config)
    click.echo(f"dashboard of {lab.home} on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
