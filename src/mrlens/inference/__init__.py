"""Inference: intervals that cover, paired MRL - no-MRL differences over documents and seeds, and the
verdicts of the findings report."""
