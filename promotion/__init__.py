"""How a candidate becomes tradable: the statistical gate, human review and the lifecycle."""
