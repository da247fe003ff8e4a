"""Rebuild market/data/bundled_bars.csv.xz from the developers' full dataset.

    python scripts/make_bundled_data.py ../shared/data/daily_bars.csv.gz

Rows are copied unchanged (same text values, same order); only the symbols are selected.
"""

from __future__ import annotations

import csv
import gzip
import lzma
import sys
from pathlib import Path

ETFS = (
    "AGG",
    "DBC",
    "DIA",
    "EEM",
    "EFA",
    "FXI",
    "GDX",
    "GLD",
    "HYG",
    "IBB",
    "IEF",
    "IWM",
    "IYR",
    "LQD",
    "MDY",
    "QQQ",
    "SHY",
    "SLV",
    "SMH",
    "SPY",
    "TIP",
    "TLT",
    "USO",
    "UUP",
    "VNQ",
    "VTI",
    "VWO",
    "XLB",
    "XLE",
    "XLF",
    "XLI",
    "XLK",
    "XLP",
    "XLU",
    "XLV",
    "XLY",
)
# The 24 stocks with the highest median daily dollar volume over 2015-01-01..2017-04-13.
STOCKS = (
    "AAPL",
    "AGN",
    "BAC",
    "CMCSA",
    "CSCO",
    "CVX",
    "DIS",
    "GE",
    "GILD",
    "GS",
    "HD",
    "IBM",
    "INTC",
    "JNJ",
    "MCD",
    "MRK",
    "MSFT",
    "PFE",
    "QCOM",
    "SLB",
    "T",
    "VZ",
    "WFC",
    "WMT",
)

OUT = Path(__file__).resolve().parents[1] / "fitness" / "data" / "bundled_bars.csv.xz"


def main(source: str) -> None:
    keep = set(ETFS) | set(STOCKS)
    with (
        gzip.open(source, "rt", newline="") as src,
        lzma.open(OUT, "wt", newline="", preset=9 | lzma.PRESET_EXTREME) as dst,
    ):
        reader = csv.reader(src)
        writer = csv.writer(dst, lineterminator="\n")
        writer.writerow(next(reader))
        writer.writerows(row for row in reader if row[1] in keep)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(keep)} symbols)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/daily_bars.csv.gz")
