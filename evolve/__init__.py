"""How strategies are bred, and the `evolve` command line (data tools, the baseline report)."""
