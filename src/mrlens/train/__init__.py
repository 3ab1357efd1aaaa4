"""Training twins from one base checkpoint."""
