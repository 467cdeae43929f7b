"""Causal graph learning: DYNOTEARS and SDE structure learning."""
