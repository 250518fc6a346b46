"""The tap-hubspot side of ``bench.vs_tap_hubspot``."""
