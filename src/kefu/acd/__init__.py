"""The ACD: agents, queues and the routing engine, above :mod:`kefu.calls`."""
