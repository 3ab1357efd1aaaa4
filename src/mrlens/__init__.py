"""mrlens: what Matryoshka Representation Learning does to a text encoder.

The package holds everything the Snakemake workflow runs, as plain functions that also work on
your own embeddings: ``mrlens.metrics`` (geometry at every truncation size), ``mrlens.io``
(embedding Parquet files), ``mrlens.data`` (sources), ``mrlens.train`` (twins and the Matryoshka
loss), ``mrlens.embed``, ``mrlens.plots``.
"""

__version__ = "0.1.0"
