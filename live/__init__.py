"""How approved strategies trade: allocator, order planning, brokers, reconciliation and the
kill switch."""
