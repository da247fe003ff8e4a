"""The `evolve` command line: market data tools and the baseline report."""

from __future__ import annotations

import click

from configs.commands import CommandContext, LabGroup, lab_command_options

__all__ = ["main"]


@click.group(cls=LabGroup)
def main() -> None:
    """Breed trading-strategy genomes and look after their market data."""


@main.group(cls=LabGroup)
def data() -> None:
    """Inspect and check market data."""


@data.command("info")
@click.argument("path", required=False)
@lab_command_options
def data_info(lab: CommandContext, path: str | None) -> None:
    """Summarise PATH (default: the configured data.source): symbols, dates, rows, fingerprint
    and the problems found."""
    from evolve.reports import data_summary
    from fitness.market_data import load_panel

    panel, report = load_panel(lab.config.data, lab.config.alpaca, source=path)
    click.echo(data_summary(panel, report, examples=3))


@data.command("validate")
@click.argument("path")
@lab_command_options
def data_validate(lab: CommandContext, path: str) -> None:
    """Check PATH with the configured data policy. Exit 0 when it is usable (warnings listed),
    2 with every error when the policy rejects it."""
    from configs import InputError
    from evolve.reports import data_summary
    from fitness.market_data import load_panel
    from fitness.problems import DataError

    try:
        panel, report = load_panel(lab.config.data, lab.config.alpaca, source=path)
    except DataError as e:
        if e.report is None or not e.report.errors:
            raise
        for line in e.report.summary_lines("error", examples=None):
            click.echo(line, err=True)
        raise InputError(str(e).splitlines()[0].rstrip(":")) from e
    click.echo(data_summary(panel, report, examples=None))
    click.echo(f"usable: yes ({len(report.warnings)} warning(s))")


@main.command("baseline")
@lab_command_options
def baseline(lab: CommandContext) -> None:
    """Metrics per window for buy-and-hold and a 200-day moving-average rule on the configured
    data: the bar every bred strategy must clear."""
    from evolve.baseline import baseline_report
    from evolve.reports import baseline_table, data_summary
    from fitness.market_data import load_panel
    from fitness.windows import build_windows

    config = lab.config
    panel, report = load_panel(config.data, config.alpaca)
    windows = build_windows(panel, config.windows, config.backtest)
    click.echo(data_summary(panel, report, examples=0))
    click.echo(baseline_table(baseline_report(panel, windows, config.backtest), config))
