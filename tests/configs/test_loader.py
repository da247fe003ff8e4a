"""The configuration loader: defaults, merging, unknown keys, types, cross-field checks, the id."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from pathlib import Path

import pytest

from configs import DEFAULT_CONFIG_PATH, ConfigurationError, LabConfig, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lab.toml"
    path.write_text(text)
    return path


def test_defaults_load_and_are_frozen() -> None:
    config = load_config()
    assert config.data.source == "bundled"
    assert config.backtest.settlement_days == 1
    assert config.windows.train == (dt.date(2001, 1, 16), dt.date(2007, 6, 29))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.backtest.max_positions = 3  # type: ignore[misc]


def test_default_file_sets_every_key_of_the_schema() -> None:
    # default.toml is the single source of defaults: each dataclass field must be in it.
    raw = tomllib.loads(DEFAULT_CONFIG_PATH.read_text())
    for section in dataclasses.fields(LabConfig):
        keys = {f.name for f in dataclasses.fields(getattr(load_config(), section.name))}
        assert set(raw[section.name]) == keys, section.name


def test_user_file_is_merged_over_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[backtest]\nmax_positions = 3\nfractional = false\n"))
    assert config.backtest.max_positions == 3
    assert config.backtest.fractional is False
    assert config.backtest.slippage_bps == 5.0  # untouched default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[backtest]\nmax_postions = 3\n",
            "backtest.max_postions: unknown key; did you mean 'max_positions'?",
        ),
        ("[bactest]\nmax_positions = 3\n", "bactest: unknown key; did you mean 'backtest'?"),
        ("[backtest]\nzzz = 1\n", "backtest.zzz: unknown key (known keys:"),
        (
            "[backtest]\nmax_positions = 'ten'\n",
            "backtest.max_positions: expected a whole number, got 'ten'",
        ),
        ("[backtest]\nfractional = 1\n", "backtest.fractional: expected true or false, got 1"),
        (
            "[data]\npolicy = 'drop'\n",
            "data.policy: expected one of 'reject', 'drop_symbol', got 'drop'",
        ),
        ("[windows]\ntrain = [2006-01-03]\n", "windows.train: expected a list of 2 values"),
        ("[windows]\ntrain = ['2006-13-01', 2007-01-01]\n", "windows.train[0]: expected a date"),
        ("backtest = 3\n", "backtest: expected a table [backtest], got 3"),
        ("[backtest\n", "is not valid TOML"),
        ("[backtest]\ninitial_cash = inf\n", "backtest.initial_cash: expected a finite number"),
        ("[gate]\nmin_dsr = nan\n", "gate.min_dsr: expected a finite number"),
        (
            "[backtest]\nmax_positions = 100000000000\n",
            "backtest.max_positions: must be from 1 to 10000, got 100000000000",
        ),
        # What sizes the work is bounded by what a machine can hold.
        (
            "[evolve]\npopulation = 100000000\n",
            "evolve.population: must be at most 100,000 genomes",
        ),
        ("[evolve]\nworkers = 100000\n", "evolve.workers: must be at most 256 processes"),
        (
            "[evolve]\nsubtree_cache_mb = 10000000\n",
            "evolve.subtree_cache_mb: must be at most 65,536 MB of memory",
        ),
        (
            "[store]\nprune_every = 10000000000\n",
            "store.prune_every: must be at most 100,000 generations",
        ),
    ],
)
def test_bad_keys_and_values_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        load_config(write(tmp_path, text))
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[windows]\nvalidation = [2007-01-02, 2013-01-01]\n",
            "windows.validation: starts 2007-01-02, which is not after the end of windows.train",
        ),
        (
            "[windows]\nholdout = [2017-01-01, 2016-01-01]\n",
            "windows.holdout: starts 2017-01-01 after",
        ),
        ("[backtest]\nsettlement_days = 3\n", "backtest.settlement_days: must be 0, 1 or 2, got 3"),
        ("[backtest]\nslippage_bps = -1\n", "backtest.slippage_bps: must not be negative"),
        ("[gate]\nperiod_budget = -1\n", "gate.period_budget: must not be negative"),
        ("[data]\nsymbols = ['SPY', 'SPY']\n", "data.symbols: lists SPY more than once"),
        ("[alpaca]\ndata_url = 'ftp://x'\n", "alpaca.data_url: must be empty"),
    ],
)
def test_cross_field_checks_run_at_load_time(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_config(write(tmp_path, text))


def test_a_config_file_that_is_not_utf8_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "lab.toml"
    path.write_bytes(b'[log]\nlevel = "\xff\xfe"\n')
    with pytest.raises(ConfigurationError, match=r"is not UTF-8 text \(byte 15"):
        load_config(path)


def test_missing_config_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_relative_paths_in_a_user_file_are_relative_to_that_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[data]\nsource = 'bars.csv'\n[log]\ndir = 'l'\n"))
    assert config.data.source == str(tmp_path / "bars.csv")
    assert config.log.dir == str(tmp_path / "l")
    assert load_config(write(tmp_path, "[data]\nsource = 'alpaca'\n")).data.source == "alpaca"


def test_config_id_is_stable_and_changes_with_any_value(tmp_path: Path) -> None:
    base = load_config()
    assert base.id == load_config().id
    assert len(base.id) == 64
    same = load_config(write(tmp_path, "[backtest]\nmax_positions = 10\n"))
    assert same.id == base.id  # setting a default explicitly changes nothing
    other = load_config(write(tmp_path, "[backtest]\nmax_positions = 11\n"))
    assert other.id != base.id
