"""The stagnation rule, step by step."""

from __future__ import annotations

from evolve.stagnation import StagnationMonitor


def test_a_flat_best_injects_then_restarts_and_an_improvement_resets() -> None:
    monitor = StagnationMonitor(generations=3, epsilon=0.01)
    actions = [monitor.observe(1.0) for _ in range(1 + 3 + 3 + 1 + 3)]
    fired = [(k, a.action) for k, a in enumerate(actions) if a is not None]
    # gen 0 sets the reference; 3 flat -> inject; 3 more flat -> restart (reference cleared);
    # gen 7 counts as new; 3 flat -> inject again.
    assert fired == [(3, "inject"), (6, "restart"), (10, "inject")]
    assert actions[3] is not None and actions[3].improvement == 0.0
    monitor = StagnationMonitor(generations=2, epsilon=0.01)
    assert [monitor.observe(x) for x in (1.0, 1.005, 1.02, 1.025)] == [None] * 4
    assert monitor.stagnant_for == 1 and monitor.reference == 1.02
