"""Pretrained static word vectors (GloVe, word2vec text, fastText .vec, numpy) to initialise
BCNN embeddings, with a coverage report."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn


logger = logging.getLogger(__name__)


def load_word_vectors(path: str | Path, vocab_path: str | Path | None = None, max_words: int | None = None):
    """Read word vectors into `(words, matrix [n, dim] float32)`.

    Formats: a text file with `word v1 v2 ...` per line (GloVe; word2vec/fastText `.vec` with their
    `count dim` header line), or a `.npy` matrix with `vocab_path` naming its words (a text file with
    one word per line, or a parquet/csv file whose first string column holds the words, in row order).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"word vectors file {path} does not exist")
    if path.suffix == ".npy":
        if vocab_path is None:
            raise ValueError(f"{path} is a numpy matrix: pass vocab_path, the file listing its words in row order")
        matrix = np.load(path, allow_pickle=False, mmap_mode="r")
        words = _read_vocab(Path(vocab_path))
        if len(words) != matrix.shape[0]:
            raise ValueError(f"{vocab_path} lists {len(words)} words but {path} has {matrix.shape[0]} rows")
        if max_words is not None:
            words, matrix = words[:max_words], matrix[:max_words]
        return words, np.asarray(matrix, dtype=np.float32)
    words, rows, dim = [], [], None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line_no, line in enumerate(f, 1):
            parts = line.rstrip().split(" ")
            if line_no == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec / fastText header: "count dim"
            if len(parts) < 2:
                continue
            if dim is None:
                dim = len(parts) - 1
            if len(parts) - 1 != dim:
                raise ValueError(f"{path}, line {line_no}: expected a word and {dim} numbers, got {len(parts) - 1} numbers")
            try:
                rows.append(np.asarray(parts[1:], dtype=np.float32))
            except ValueError:
                raise ValueError(f"{path}, line {line_no}: the values after the word {parts[0]!r} are not all numbers") from None
            words.append(parts[0])
            if max_words is not None and len(words) >= max_words:
                break
    if not words:
        raise ValueError(f"{path}: no word vectors found (expected 'word v1 v2 ...' lines)")
    return words, np.stack(rows)


def _read_vocab(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        for column in table.column_names:
            if str(table.schema.field(column).type) in ("string", "large_string"):
                return [str(w) for w in table.column(column).to_pylist()]
        raise ValueError(f"{path}: no string column holding the words")
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t")[0] for line in f]


@dataclass
class EmbeddingCoverage:
    """How much of a vocabulary the pretrained vectors covered."""

    found: int
    total: int
    found_lowercased: int = 0

    @property
    def coverage(self) -> float:
        return 100.0 * self.found / max(self.total, 1)

    def __str__(self) -> str:
        return f"{self.found}/{self.total} tokens ({self.coverage:.1f}%) initialised from pretrained vectors ({self.found_lowercased} via lowercase)"


def init_embeddings_from_vectors(embedding: nn.Embedding, vocab: dict[str, int], words, matrix, skip_ids=()) -> EmbeddingCoverage:
    """Copy vectors into `embedding` rows for the tokens of `vocab` (token -> id) found among `words`
    (exact match first, then lowercase). Other rows keep their random initialisation. Returns the
    coverage, also logged."""
    matrix = np.asarray(matrix)
    if matrix.shape[1] != embedding.embedding_dim:
        raise ValueError(f"word vectors have dimension {matrix.shape[1]} but embedding_dim is {embedding.embedding_dim}")
    index = {w: i for i, w in enumerate(words)}
    found = lowered = 0
    token_ids, row_ids = [], []
    skip = set(skip_ids)
    for token, token_id in vocab.items():
        if token_id in skip or token_id >= embedding.num_embeddings:
            continue
        row = index.get(token)
        if row is None:
            row = index.get(token.lower())
            lowered += row is not None
        if row is not None:
            token_ids.append(token_id)
            row_ids.append(row)
    found = len(token_ids)
    with torch.no_grad():
        if token_ids:
            embedding.weight[torch.tensor(token_ids)] = torch.from_numpy(np.ascontiguousarray(matrix[row_ids], dtype=np.float32)).to(embedding.weight.dtype)
    report = EmbeddingCoverage(found=found, total=len([t for t in vocab.values() if t not in skip]), found_lowercased=lowered)
    logger.info("%s", report)
    return report
