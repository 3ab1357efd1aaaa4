"""Data sources: training pairs (anchor, positive[, negative]) and document corpora (id, text).

Built-in offline sources are WordNet 3.0 glosses (Debian ``wordnet-base``) and the English
Wikipedia sample shipped with ``gensim``; any Hugging Face dataset (through ``datasets``) and
local jsonl / parquet / csv files work the same way through a column mapping.
"""

from mrlens.data.prepare import prepare_corpus, prepare_pairs, split_heldout

__all__ = ["prepare_corpus", "prepare_pairs", "split_heldout"]
