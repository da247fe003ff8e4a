"""How good a strategy is: evaluation windows, the cash-account backtest, its metrics, what the
account holds anyway and the scores the search breeds on. Pure: arrays and values in, arrays and
values out (market data comes from `market`)."""
