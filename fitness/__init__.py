"""How good a strategy is: market data panels, evaluation windows, the cash-account backtest and
its metrics. Pure apart from the data loaders: arrays and values in, arrays and values out."""
