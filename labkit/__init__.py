"""The test kit: what the tests and the benchmarks share and the product never imports (the
layering test holds it): the loopback emulators of Alpaca's Trading and Market Data APIs, a lab
made by hand (a genome put forward, the run it is put forward under, texts scored as a worker
scores them) and the lenient gate a small test night passes candidates with."""

from pathlib import Path

__all__ = ["LENIENT_GATE_PATH"]

# A gate that lets a small night's candidates through: for tests of what follows a pass.
LENIENT_GATE_PATH = Path(__file__).with_name("lenient_gate.toml")
