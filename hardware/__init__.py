"""Device-side code: the simulator fleet and notes for pointing real devices at the broker."""
