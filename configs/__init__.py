"""The lab's configuration: `default.toml`, the loader and its frozen, typed sections.

`configs` imports nothing else from the lab, so every package may import it (config types and
the base error classes live here).
"""

from configs.errors import ConfigurationError, InputError, LabError, ServiceError
from configs.loader import DEFAULT_CONFIG_PATH, load_config
from configs.schema import (
    AlpacaConfig,
    BacktestConfig,
    DataConfig,
    EvolveConfig,
    ForwardConfig,
    GateConfig,
    IncubationConfig,
    LabConfig,
    LiveConfig,
    LogConfig,
    ReviewConfig,
    StoreConfig,
    WindowsConfig,
    costs_text,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "AlpacaConfig",
    "BacktestConfig",
    "ConfigurationError",
    "DataConfig",
    "EvolveConfig",
    "ForwardConfig",
    "GateConfig",
    "IncubationConfig",
    "InputError",
    "LabConfig",
    "LabError",
    "LiveConfig",
    "LogConfig",
    "ReviewConfig",
    "ServiceError",
    "StoreConfig",
    "WindowsConfig",
    "costs_text",
    "load_config",
]
