"""Crash-anywhere suite: crmsync killed at chosen API calls, restarted, and checked."""
