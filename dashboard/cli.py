"""`live dashboard`: serve the morning page. The command lives with the page and joins the
`live` command line through the `gplab.live` entry point, so `live` never imports `dashboard`."""

from __future__ import annotations

import click

from configs.commands import CommandContext, lab_command_options

__all__ = ["dashboard"]


@click.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--name",
    "names",
    multiple=True,
    help="a host name the page is reached by besides IP addresses, localhost and this "
    "machine's name (repeatable; e.g. pi.tailnet.ts.net).",
)
@click.option(
    "--https",
    is_flag=True,
    help="served behind an HTTPS proxy: the session cookie is sent over HTTPS only.",
)
@click.option(
    "--set-password",
    is_flag=True,
    help="ask for the dashboard's password, store its scrypt hash in the lab's folder and stop.",
)
@lab_command_options
def dashboard(
    lab: CommandContext,
    host: str,
    port: int,
    names: tuple[str, ...],
    https: bool,
    set_password: bool,
) -> None:
    """Serve the morning page on http://HOST:PORT/: the nights with their lineage, the
    candidates with their gate reports and the review (holdout, approve, reject, skip), live
    trading with its halt button and decay watch, and the lab's health. Without a password only
    this machine can reach it; once one is set (--set-password), every page asks for it and
    --host may name another address."""
    import uvicorn

    from dashboard.app import make_app
    from dashboard.security import has_password
    from dashboard.security import set_password as store_password
    from store import lab_database

    if set_password:
        password = click.prompt("new dashboard password", hide_input=True, confirmation_prompt=True)
        try:
            path = store_password(lab.home, password)
        except ValueError as e:
            raise click.UsageError(str(e)) from e
        click.echo(f"password set ({path}); every page now asks for it")
        return
    beyond = host not in ("127.0.0.1", "localhost", "::1")
    if beyond and not has_password(lab.home):
        raise click.UsageError(
            f"--host {host}: another machine may reach the dashboard only with a login; set a "
            "password first (live dashboard --set-password), or reach it through an SSH "
            "tunnel (ssh -L 8765:127.0.0.1:8765 pi)"
        )
    app = make_app(lab_database(lab), lab.home, lab.config, frozenset(names), beyond, https)
    click.echo(f"dashboard of {lab.home} on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=https)
