"""Evaluation tasks (``quality.tasks.NAME``) turned into two tables: the texts to embed and their labels.

A prepared task is

- ``texts``: columns ``id`` (str, unique), ``text`` (str, unique) and ``role`` (``"query"``,
  ``"document"`` or ``"text"``);
- ``labels``: for a similarity task ``id_a``, ``id_b``, ``score`` (a human rating); for a retrieval
  task ``query_id``, ``doc_id``, ``relevance`` (int > 0; unjudged documents count as irrelevant).

Identical texts get one id, so each text is embedded once: identical documents merge (a query's
relevance for the merged document is the largest of theirs); identical queries merge, and the merged
query's relevant documents are all those judged relevant for that text (in WordNet, the glosses of
every held-out synset with the same lemmas); a query whose text is also a document keeps the
document's id and role (the corpus is the rows of role ``"document"``, the queries are the
``query_id`` of the labels).

Kinds:

- ``lee50``: the 50 news documents of Lee, Pincombe & Welsh (2005), ``lee.cor`` (one document per
  line, Latin-1: it holds a pound sign), rated by humans; ``similarities0-1.txt`` is a 50 x 50 tab-separated matrix whose upper
  triangle (row i < column j) holds the mean rating of documents i and j scaled to [0, 1], with ones
  on the diagonal and zeros below it. The 1,225 pairs are the upper triangle, as in gensim's own test.
- ``simlex999``, ``wordsim353``: word pairs with a mean human score (``#`` lines are comments).
  These three ship in gensim's test data folder (``path`` may name another folder with the same files).
- ``heldout_retrieval``: the held-out split of a ``data.pairs`` source; query = anchor (WordNet: the
  synset's lemmas), relevant document = its positive (the gloss); the other held-out positives are
  distractors. ``max_queries`` samples queries, ``max_documents`` caps the corpus (seeded); the
  relevant documents of the kept queries are always kept.
- ``similarity_local`` / ``similarity_hub``: sentence pairs with a score (e.g. STSBenchmark:
  ``sentence1``, ``sentence2``, ``score``); our columns ``text_a``, ``text_b``, ``score``.
- ``retrieval_local`` / ``retrieval_hub``: the BEIR layout — a corpus (``_id``, ``title``, ``text``),
  queries (``_id``, ``text``) and qrels (``query-id``, ``corpus-id``, optional ``score``; without it
  every listed pair has relevance 1, as in NanoBEIR). Locally a folder with ``corpus``, ``queries``
  (``.jsonl``, ``.parquet`` or ``.csv``) and ``qrels/{split}.tsv`` or ``qrels.{tsv,jsonl,parquet,csv}``;
  on the hub the subsets ``corpus``, ``queries`` and ``qrels`` of ``name`` at ``split`` (e.g.
  ``zeta-alpha-ai/NanoSciFact`` split ``train``, or ``sentence-transformers/NanoBEIR-en`` split
  ``NanoSciFact``). A document's text is ``title + " " + text`` as in BEIR. Qrels rows with relevance
  0 are dropped; queries without a relevant document are left out.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mrlens.data.tabular import READERS, load_hub_table, read_local_table, select_columns
from mrlens.errors import DataError

SIMILARITY_COLUMNS = {"text_a": "sentence1", "text_b": "sentence2", "score": "score"}
BEIR_COLUMNS = {
    "corpus": {"id": "_id", "text": "text", "title": "title"},
    "queries": {"id": "_id", "text": "text"},
    "qrels": {"query_id": "query-id", "doc_id": "corpus-id", "relevance": "score"},
}
TEXT_COLUMNS = ["id", "text", "role"]
SIMILARITY_LABELS = ["id_a", "id_b", "score"]
RETRIEVAL_LABELS = ["query_id", "doc_id", "relevance"]


def gensim_data_folder() -> Path:
    """gensim's test data folder, found without importing gensim (which is slow to import)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "gensim is not installed: it ships lee.cor, simlex999.txt and wordsim353.tsv (pip install gensim)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "test" / "test_data"


# ---- texts with one id per distinct text ------------------------------------------------------


class _Texts:
    """Collects texts in order of first appearance; an identical text gets the first one's id."""

    def __init__(self) -> None:
        self.by_text: dict[str, str] = {}
        self.rows: list[tuple[str, str, str]] = []

    def add(self, key: str, text: str, role: str) -> str:
        if text in self.by_text:
            return self.by_text[text]
        self.by_text[text] = key
        self.rows.append((key, text, role))
        return key

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=TEXT_COLUMNS)


def _check_texts(values: pd.Series, column: str, source: str) -> list[str]:
    bad = values.isna() | (values.astype(str).str.strip() == "")
    if bad.any():
        raise DataError(f"{source}: column {column!r} is empty in row {int(np.argmax(bad.to_numpy()))}")
    return values.astype(str).tolist()


def _scores(values: pd.Series, column: str, source: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(numbers)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(f"{source}: column {column!r} has a non-numeric value {values.iloc[row]!r} in row {row}")
    return numbers


def similarity_task(
    text_a: Iterable[str], text_b: Iterable[str], scores: Iterable[float], source: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Texts and labels of a similarity task from aligned pairs of texts and their scores."""
    collected = _Texts()
    labels = [
        (
            collected.add(f"t{len(collected.rows)}", a, "text"),
            collected.add(f"t{len(collected.rows)}", b, "text"),
            float(s),
        )
        for a, b, s in zip(text_a, text_b, scores, strict=True)
    ]
    if not labels:
        raise DataError(f"{source}: no pairs")
    if len(labels) < 3:
        raise DataError(f"{source}: {len(labels)} pair(s); a rank correlation needs at least 3")
    return collected.table(), pd.DataFrame(labels, columns=SIMILARITY_LABELS)


def retrieval_task(
    corpus: pd.DataFrame,
    queries: pd.DataFrame,
    qrels: pd.DataFrame,
    source: str,
    max_queries: int | None = None,
    max_documents: int | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Texts and labels of a retrieval task from ``corpus`` (id, text), ``queries`` (id, text) and
    ``qrels`` (query_id, doc_id, relevance). Every query and document of the qrels must exist; rows of
    relevance 0 are dropped, then queries without a relevant document. At most ``max_queries`` judged
    queries are drawn, then at most ``max_documents`` documents: all relevant documents of the kept
    queries and a draw of the others (seeded; the corpus keeps its order)."""
    for name, frame in (("corpus", corpus), ("queries", queries), ("qrels", qrels)):
        if frame.empty:
            raise DataError(f"{source}: the {name} has no rows")
    for name, frame in (("corpus", corpus), ("queries", queries)):
        duplicated = frame["id"].duplicated()
        if duplicated.any():
            raise DataError(f"{source}: duplicate {name} id {frame['id'][duplicated].iloc[0]!r}")
    relevance = _scores(qrels["relevance"], "relevance", f"{source} qrels")
    bad = (relevance < 0) | (relevance != np.round(relevance))
    if bad.any():
        raise DataError(
            f"{source}: qrels relevance must be a non-negative integer, got {relevance[bad][0]} in row {int(np.argmax(bad))}"
        )
    qrels = qrels.assign(relevance=relevance.astype(np.int64))
    for column, frame, name in (("doc_id", corpus, "corpus"), ("query_id", queries, "queries")):
        unknown = ~qrels[column].isin(frame["id"])
        if unknown.any():
            raise DataError(
                f"{source}: qrels {column} {qrels[column][unknown].iloc[0]!r} is not in the {name} "
                f"({int(unknown.sum())} qrels row(s) point at unknown ids)"
            )
    qrels = qrels[qrels["relevance"] > 0]
    if qrels.empty:
        raise DataError(f"{source}: no qrels row has a relevance above 0")
    rng = np.random.default_rng(seed)
    judged = queries[queries["id"].isin(set(qrels["query_id"]))]
    if max_queries is not None and len(judged) > max_queries:
        judged = judged.iloc[np.sort(rng.choice(len(judged), size=max_queries, replace=False))]
        qrels = qrels[qrels["query_id"].isin(set(judged["id"]))]
    gold = corpus["id"].isin(set(qrels["doc_id"])).to_numpy()
    if max_documents is not None and len(corpus) > max_documents and gold.sum() < len(corpus):
        others = np.flatnonzero(~gold)
        room = min(len(others), max(0, max_documents - int(gold.sum())))
        keep = gold.copy()
        keep[rng.choice(others, size=room, replace=False)] = True
        corpus = corpus[keep]
    collected = _Texts()
    doc_ids = {
        d: collected.add(f"d:{d}", t, "document")
        for d, t in zip(corpus["id"], _check_texts(corpus["text"], "text", f"{source} corpus"))
    }
    query_ids = {
        q: collected.add(f"q:{q}", t, "query")
        for q, t in zip(judged["id"], _check_texts(judged["text"], "text", f"{source} queries"))
    }
    labels = pd.DataFrame(
        {
            "query_id": qrels["query_id"].map(query_ids),
            "doc_id": qrels["doc_id"].map(doc_ids),
            "relevance": qrels["relevance"],
        }
    )
    labels = labels.groupby(["query_id", "doc_id"], sort=False, as_index=False)["relevance"].max()
    return collected.table(), labels.astype({"relevance": "int64"}).reset_index(drop=True)


# ---- the kinds --------------------------------------------------------------------------------


def _gensim_file(spec: Mapping[str, Any], filename: str, source: str) -> Path:
    folder = Path(spec["path"]) if spec.get("path") else gensim_data_folder()
    path = folder / filename
    if not path.exists():
        raise DataError(f"{source}: file {path} not found (gensim ships it in its test data folder)")
    return path


def lee50(spec: Mapping[str, Any], source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lee et al.'s 50 documents, 1,225 rated pairs (the upper triangle of the rating matrix)."""
    documents_path = _gensim_file(spec, "lee.cor", source)
    ratings_path = _gensim_file(spec, "similarities0-1.txt", source)
    documents = [line.strip() for line in documents_path.read_text(encoding="latin-1").splitlines()]
    documents = [d for d in documents if d]
    try:
        ratings = np.loadtxt(ratings_path, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise DataError(f"{source}: {ratings_path} is not a numeric matrix ({exc})") from exc
    if ratings.shape != (len(documents), len(documents)):
        raise DataError(
            f"{source}: {ratings_path} is {ratings.shape[0]} x {ratings.shape[1]}, but {documents_path} has {len(documents)} documents"
        )
    rows, columns = np.triu_indices(len(documents), k=1)
    return similarity_task(
        (documents[i] for i in rows), (documents[j] for j in columns), ratings[rows, columns], source
    )


def word_pairs(spec: Mapping[str, Any], filename: str, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A tab-separated ``word1 word2 score`` file with ``#`` comment lines (SimLex-999, WordSim-353)."""
    path = _gensim_file(spec, filename, source)
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 3:
            raise DataError(f"{source}: {path} line {number} has {len(fields)} tab-separated field(s), expected 3")
        rows.append(fields[:3])
    frame = pd.DataFrame(rows, columns=["text_a", "text_b", "score"])
    a = _check_texts(frame["text_a"].str.strip(), "word 1", f"{source} ({path})")
    b = _check_texts(frame["text_b"].str.strip(), "word 2", f"{source} ({path})")
    return similarity_task(a, b, _scores(frame["score"], "score", f"{source} ({path})"), source)


def heldout_retrieval(
    spec: Mapping[str, Any], heldout_pairs: pd.DataFrame | None, source: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Held-out pairs (anchor, positive, group) as a retrieval task: each group is one query (its
    anchor) with its positive as the relevant document; every other held-out positive is a distractor."""
    if heldout_pairs is None:
        raise DataError(
            f"{source}: a heldout_retrieval task needs the held-out pairs of data.pairs.{spec.get('pairs')}"
        )
    missing = {"anchor", "positive"} - set(heldout_pairs.columns)
    if missing:
        raise DataError(f"{source}: the held-out pairs lack column(s) {sorted(missing)}")
    if heldout_pairs.empty:
        raise DataError(f"{source}: the held-out split of data.pairs.{spec.get('pairs')} is empty")
    pairs = heldout_pairs.reset_index(drop=True)
    if "group" not in pairs:
        pairs = pairs.assign(group=pairs["anchor"])
    positives = pairs["positive"].drop_duplicates()
    corpus = pd.DataFrame({"id": [str(i) for i in range(len(positives))], "text": positives.to_numpy()})
    doc_of = dict(zip(corpus["text"], corpus["id"]))
    groups = pairs["group"].astype(str)
    queries = pd.DataFrame({"id": groups, "text": pairs["anchor"]}).drop_duplicates("id")
    qrels = pd.DataFrame({"query_id": groups, "doc_id": pairs["positive"].map(doc_of), "relevance": 1})
    return retrieval_task(
        corpus, queries, qrels, source, spec.get("max_queries"), spec.get("max_documents"), int(spec.get("seed", 0))
    )


def _local_similarity(spec: Mapping[str, Any], source: str) -> pd.DataFrame:
    if spec["kind"] == "similarity_local":
        if not spec.get("path"):
            raise DataError(f"{source}.path: a similarity_local task needs a file path")
        return read_local_table(spec["path"], source)
    if not spec.get("name"):
        raise DataError(f"{source}.name: a similarity_hub task needs a dataset name")
    return load_hub_table(spec["name"], spec.get("subset"), spec.get("split", "test"), source)


def similarity_pairs(spec: Mapping[str, Any], source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A table of sentence pairs with a score, from a local file or the hub."""
    raw = _local_similarity(spec, source)
    if raw.empty:
        raise DataError(f"{source}: the source has no rows")
    frame = select_columns(raw, {**SIMILARITY_COLUMNS, **spec.get("columns", {})}, list(SIMILARITY_COLUMNS), [], source)
    return similarity_task(
        _check_texts(frame["text_a"], "text_a", source),
        _check_texts(frame["text_b"], "text_b", source),
        _scores(frame["score"], "score", source),
        source,
    )


def _beir_columns(spec: Mapping[str, Any], source: str) -> dict[str, dict[str, str]]:
    """Our column -> the source's, per table; ``columns`` overrides any default by our name."""
    overrides = dict(spec.get("columns", {}))
    known = {ours for table in BEIR_COLUMNS.values() for ours in table}
    unknown = set(overrides) - known
    if unknown:
        raise DataError(f"{source}.columns: unknown column name(s) {sorted(unknown)}; ours are {sorted(known)}")
    return {
        table: {ours: overrides.get(ours, theirs) for ours, theirs in mapping.items()}
        for table, mapping in BEIR_COLUMNS.items()
    }


def _local_beir_file(folder: Path, name: str, split: str, source: str) -> Path:
    candidates = [folder / f"{name}{suffix}" for suffix in (*READERS, ".tsv")]
    if name == "qrels":
        candidates = [folder / "qrels" / f"{split}.tsv", *candidates]
    for path in candidates:
        if path.exists():
            return path
    looked = ", ".join(p.name if p.parent == folder else str(p.relative_to(folder)) for p in candidates)
    raise DataError(f"{source}: no {name} file in {folder} (looked for {looked})")


def _read_beir_table(path: Path, source: str) -> pd.DataFrame:
    if path.suffix == ".tsv":
        try:
            return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")
        except Exception as exc:  # pandas raises many kinds for a malformed file
            raise DataError(f"{source}: cannot read {path} ({type(exc).__name__}: {exc})") from exc
    return read_local_table(path, source)


def _beir_tables(spec: Mapping[str, Any], source: str) -> dict[str, tuple[pd.DataFrame, str]]:
    """The raw corpus, queries and qrels tables, each with a name for messages."""
    split = spec.get("split", "test")
    if spec["kind"] == "retrieval_local":
        if not spec.get("path"):
            raise DataError(f"{source}.path: a retrieval_local task needs a folder with corpus, queries and qrels")
        folder = Path(spec["path"])
        if not folder.is_dir():
            raise DataError(f"{source}: folder {folder} not found")
        paths = {name: _local_beir_file(folder, name, split, source) for name in BEIR_COLUMNS}
        return {name: (_read_beir_table(path, source), f"{source} ({path})") for name, path in paths.items()}
    if not spec.get("name"):
        raise DataError(f"{source}.name: a retrieval_hub task needs a dataset name")
    return {
        name: (load_hub_table(spec["name"], name, split, source), f"{source} ({spec['name']} {name}/{split})")
        for name in BEIR_COLUMNS
    }


def beir_retrieval(spec: Mapping[str, Any], source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A BEIR-layout retrieval task (corpus, queries, qrels) from a local folder or the hub."""
    columns = _beir_columns(spec, source)
    tables = _beir_tables(spec, source)
    frames = {}
    for name, (raw, where) in tables.items():
        if raw.empty:
            raise DataError(f"{where}: no rows")
        optional = {"corpus": ["title"], "qrels": ["relevance"]}.get(name, [])
        mapping = {
            ours: theirs for ours, theirs in columns[name].items() if ours not in optional or theirs in raw.columns
        }
        required = [c for c in columns[name] if c not in optional]
        frame = select_columns(raw, mapping, required, optional, where)
        for column in ("id", "query_id", "doc_id"):
            if column in frame:
                frame[column] = frame[column].astype(str)
        frames[name] = frame
    corpus = frames["corpus"]
    text = pd.Series(_check_texts(corpus["text"], "text", tables["corpus"][1]), index=corpus.index)
    if "title" in corpus:
        text = (corpus["title"].fillna("").astype(str) + " " + text).str.strip()
    qrels = frames["qrels"]
    if "relevance" not in qrels:
        qrels = qrels.assign(relevance=1)
    return retrieval_task(
        corpus.assign(text=text)[["id", "text"]],
        frames["queries"],
        qrels,
        source,
        spec.get("max_queries"),
        spec.get("max_documents"),
        int(spec.get("seed", 0)),
    )


Builder = Callable[[Mapping[str, Any], str, pd.DataFrame | None], tuple[pd.DataFrame, pd.DataFrame]]

# kind -> (spec, source, held-out pairs) -> (texts, labels): every kind of mrlens.kinds.TASK_KINDS
# whose texts the workflow embeds (an MTEB task embeds its own).
BUILDERS: dict[str, Builder] = {
    "lee50": lambda spec, source, _: lee50(spec, source),
    "simlex999": lambda spec, source, _: word_pairs(spec, "simlex999.txt", source),
    "wordsim353": lambda spec, source, _: word_pairs(spec, "wordsim353.tsv", source),
    "heldout_retrieval": lambda spec, source, heldout: heldout_retrieval(spec, heldout, source),
    "similarity_local": lambda spec, source, _: similarity_pairs(spec, source),
    "similarity_hub": lambda spec, source, _: similarity_pairs(spec, source),
    "retrieval_local": lambda spec, source, _: beir_retrieval(spec, source),
    "retrieval_hub": lambda spec, source, _: beir_retrieval(spec, source),
}


def prepare_task(
    spec: Mapping[str, Any], name: str, heldout_pairs: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Texts (id, text, role) and labels of the task ``quality.tasks.NAME`` described by ``spec``.

    ``heldout_pairs`` (anchor, positive, group) is the held-out split of ``spec["pairs"]``, needed by
    ``heldout_retrieval`` only. Errors are :class:`DataError` naming the key or the file.
    """
    source = f"quality.tasks.{name}"
    kind = spec.get("kind")
    if kind not in BUILDERS:
        raise DataError(
            f"{source}.kind: unknown kind {kind!r} to prepare (an MTEB task embeds its own); use one of {list(BUILDERS)}"
        )
    return BUILDERS[kind](spec, source, heldout_pairs)


def task_type(labels: pd.DataFrame) -> str:
    """``"similarity"`` or ``"retrieval"``, from the label columns."""
    if set(SIMILARITY_LABELS) <= set(labels.columns):
        return "similarity"
    if set(RETRIEVAL_LABELS) <= set(labels.columns):
        return "retrieval"
    raise DataError(f"labels have columns {list(labels.columns)}; expected {SIMILARITY_LABELS} or {RETRIEVAL_LABELS}")
