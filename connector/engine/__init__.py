"""The sync engine: plan (pure) and cycle (I/O)."""
