"""Cross-lingual word-vector alignment with orthogonal Procrustes.

Monolingual embedding spaces of two languages are approximately isometric, so a linear map
learned from a small seed dictionary translates words (Mikolov, Le & Sutskever, 2013,
"Exploiting Similarities among Languages for Machine Translation"). Constraining the map to
be orthogonal and the vectors to unit length makes the problem an orthogonal Procrustes
problem with a closed-form SVD solution and keeps cosine similarities intact (Xing et al.,
NAACL 2015; Smith et al., ICLR 2017; Conneau et al., ICLR 2018 "Word Translation Without
Parallel Data" / MUSE, whose refinement step and CSLS retrieval criterion are used here).

Conventions (as in the papers and MUSE): ``W`` maps a *column* source vector to the target
space, ``W @ x ≈ y``; for row-stacked matrices this is ``X @ W.T ≈ Y``. ``W`` is
``U @ Vᵀ`` where ``U Σ Vᵀ = svd(Yᵀ X)`` over the seed pairs.

Vectors can be given as ``dict[str, np.ndarray]`` (word -> 1-D vector) or as a
``(words, matrix)`` pair with ``len(words) == matrix.shape[0]``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Union

import numpy as np
import torch


Vectors = Union[Mapping[str, np.ndarray], tuple[Sequence[str], np.ndarray]]
Dictionary = Union[Sequence[tuple[str, str]], str, os.PathLike]

# Similarity blocks are computed in chunks of at most this many entries (~128 MiB in float32).
_CHUNK_ENTRIES = 1 << 25


# --------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------


def _as_vocabulary(vectors: Vectors, name: str) -> tuple[list[str], np.ndarray, dict[str, int]]:
    """Return ``(words, matrix, index)`` from a dict or a ``(words, matrix)`` pair."""
    if isinstance(vectors, Mapping):
        words = list(vectors.keys())
        if not words:
            raise ValueError(f"`{name}` is empty; expected at least one word vector.")
        rows = []
        dim = None
        for word in words:
            vec = np.asarray(vectors[word])
            if vec.ndim != 1 or (dim is not None and vec.shape[0] != dim):
                expected = "a 1-D vector" if dim is None else f"a 1-D vector of size {dim}"
                raise ValueError(f"`{name}[{word!r}]` must be {expected}, got shape {vec.shape}.")
            dim = vec.shape[0]
            rows.append(vec)
        matrix = np.stack(rows)
    elif isinstance(vectors, tuple) and len(vectors) == 2:
        words, matrix = list(vectors[0]), np.asarray(vectors[1])
        if matrix.ndim != 2:
            raise ValueError(f"`{name}` matrix must have shape [num_words, dim], got shape {matrix.shape}.")
        if len(words) != matrix.shape[0]:
            raise ValueError(
                f"`{name}` has {len(words)} words but its matrix has {matrix.shape[0]} rows; "
                "expected one row per word."
            )
        if not words:
            raise ValueError(f"`{name}` is empty; expected at least one word vector.")
    else:
        raise TypeError(
            f"`{name}` must be a dict mapping words to 1-D vectors or a (words, matrix) pair, "
            f"got {type(vectors).__name__}."
        )
    if not np.issubdtype(matrix.dtype, np.floating):
        if not np.issubdtype(matrix.dtype, np.number):
            raise TypeError(f"`{name}` vectors must be numeric, got dtype {matrix.dtype}.")
        matrix = matrix.astype(np.float64)
    index: dict[str, int] = {}
    for i, word in enumerate(words):
        if not isinstance(word, str):
            raise TypeError(f"`{name}` word {i} must be a str, got {type(word).__name__}.")
        if word in index:
            raise ValueError(f"`{name}` lists the word {word!r} twice (rows {index[word]} and {i}).")
        index[word] = i
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise ValueError(f"`{name}` vector of {words[bad]!r} (row {bad}) contains nan or inf.")
    return words, matrix, index


def load_dictionary(path: str | os.PathLike) -> list[tuple[str, str]]:
    """Read a bilingual dictionary: one ``source_word target_word`` pair per line.

    Columns are separated by whitespace or tabs (the MUSE format); blank lines are skipped.
    """
    pairs = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise ValueError(
                    f"{os.fspath(path)}:{lineno}: expected 2 whitespace- or tab-separated columns "
                    f"(source_word target_word), got {len(parts)}: {line.rstrip()!r}."
                )
            pairs.append((parts[0], parts[1]))
    return pairs


def _as_pairs(dictionary: Dictionary, name: str) -> list[tuple[str, str]]:
    if isinstance(dictionary, (str, os.PathLike)):
        return load_dictionary(dictionary)
    pairs = []
    for i, pair in enumerate(dictionary):
        if isinstance(pair, (str, bytes)) or len(pair) != 2 or not all(isinstance(w, str) for w in pair):
            raise ValueError(f"`{name}[{i}]` must be a (source_word, target_word) pair of strings, got {pair!r}.")
        pairs.append((pair[0], pair[1]))
    return pairs


def _check_ks(k) -> tuple[int, ...]:
    ks = (k,) if isinstance(k, (int, np.integer)) else tuple(k)
    if not ks or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1 for x in ks):
        raise ValueError(f"`k` must be a positive int or a sequence of positive ints, got {k!r}.")
    return tuple(int(x) for x in ks)


# --------------------------------------------------------------------------------------
# Numerics
# --------------------------------------------------------------------------------------


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, np.finfo(matrix.dtype).tiny)


def _preprocess(matrix: np.ndarray, normalize: bool, mean: np.ndarray | None) -> np.ndarray:
    """Unit length, then centre, then unit length again (Artetxe et al., AAAI 2018)."""
    if normalize:
        matrix = _unit_rows(matrix)
    if mean is not None:
        matrix = matrix - mean.astype(matrix.dtype)
        if normalize:
            matrix = _unit_rows(matrix)
    return matrix


def _fit_mean(matrix: np.ndarray, normalize: bool, center: bool) -> np.ndarray | None:
    if not center:
        return None
    return (_unit_rows(matrix) if normalize else matrix).mean(axis=0)


def procrustes(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Orthogonal ``W`` minimising ``||source @ W.T - target||_F`` (Schönemann, 1966).

    ``source`` and ``target`` are row-aligned ``[n, d]`` matrices; ``W = U Vᵀ`` with
    ``U Σ Vᵀ = svd(targetᵀ source)``, computed in float64.
    """
    m = np.asarray(target, dtype=np.float64).T @ np.asarray(source, dtype=np.float64)
    u, _, vt = np.linalg.svd(m)
    return u @ vt


def _nearest(
    queries: np.ndarray, keys: np.ndarray, k: int, penalty: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` keys for each query by ``2 * cos - penalty`` (or plain ``cos``); rows sorted.

    Uses ``torch.topk`` on chunks of queries: much faster than ``np.argpartition`` for large
    vocabularies, with bounded memory.
    """
    queries = torch.from_numpy(np.ascontiguousarray(_unit_rows(queries)))
    keys = torch.from_numpy(np.ascontiguousarray(_unit_rows(keys))).to(queries.dtype)
    pen = None if penalty is None else torch.from_numpy(np.asarray(penalty)).to(queries.dtype).reshape(1, -1)
    k = min(k, keys.shape[0])
    chunk = max(1, _CHUNK_ENTRIES // keys.shape[0])
    all_idx, all_scores = [], []
    with torch.no_grad():
        for start in range(0, queries.shape[0], chunk):
            scores = queries[start : start + chunk] @ keys.T
            if pen is not None:
                scores = 2 * scores - pen
            top, idx = torch.topk(scores, k, dim=1)
            all_idx.append(idx)
            all_scores.append(top)
    return torch.cat(all_idx).numpy(), torch.cat(all_scores).numpy()


def _mean_topk_cos(queries: np.ndarray, keys: np.ndarray, k: int) -> np.ndarray:
    """Mean cosine of each query to its ``k`` nearest keys (CSLS neighbourhood density r)."""
    _, scores = _nearest(queries, keys, k)
    return scores.mean(axis=1)


def csls_penalty(mapped_source: np.ndarray, target: np.ndarray, knn: int = 10) -> np.ndarray:
    """Per-target-word ``r_S(y)``: mean cosine of ``y`` to its ``knn`` nearest mapped source words.

    CSLS(Wx, y) = 2 cos(Wx, y) - r_T(Wx) - r_S(y) (Conneau et al., 2018). ``r_T(Wx)`` is the
    same for every candidate ``y`` of a query, so ranking only needs ``r_S``. Cost is
    ``O(|target| * |source| * d)``; restrict large vocabularies to frequent words first.
    """
    return _mean_topk_cos(target, mapped_source, knn)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


@dataclass
class AlignmentResult:
    """An orthogonal map ``W`` (``W @ x ≈ y``) with the vocabularies it was fitted on.

    ``source_matrix`` / ``target_matrix`` hold the *preprocessed* vectors (unit length and/or
    centred as requested), so :meth:`translate` uses exactly the space ``W`` was fitted in.
    """

    W: np.ndarray = field(repr=False)
    used_pairs: list[tuple[str, str]] = field(repr=False)
    missing_pairs: list[tuple[str, str]] = field(repr=False)
    source_words: list[str] = field(repr=False)
    source_matrix: np.ndarray = field(repr=False)
    target_words: list[str] = field(repr=False)
    target_matrix: np.ndarray = field(repr=False)
    normalize: bool = True
    center: bool = False
    source_mean: np.ndarray | None = field(default=None, repr=False)
    target_mean: np.ndarray | None = field(default=None, repr=False)
    _source_index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if not self._source_index:
            self._source_index = {w: i for i, w in enumerate(self.source_words)}

    @property
    def num_used(self) -> int:
        return len(self.used_pairs)

    @property
    def num_missing(self) -> int:
        return len(self.missing_pairs)

    def __repr__(self) -> str:
        return (
            f"AlignmentResult(dim={self.W.shape[0]}, used_pairs={self.num_used}, missing_pairs={self.num_missing}, "
            f"source_vocab={len(self.source_words)}, target_vocab={len(self.target_words)}, "
            f"normalize={self.normalize}, center={self.center})"
        )

    def _map_matrix(self, matrix: np.ndarray, preprocess: bool) -> np.ndarray:
        if preprocess:
            matrix = _preprocess(matrix, self.normalize, self.source_mean)
        return (matrix @ self.W.T.astype(matrix.dtype, copy=False)).astype(matrix.dtype, copy=False)

    def map(self, vectors, preprocess: bool = True):
        """Map source vectors into the target space.

        Accepts a ``[d]`` or ``[n, d]`` array (returns an array), a dict (returns a dict) or
        a ``(words, matrix)`` pair (returns a pair). With ``preprocess=True`` the vectors are
        first normalised/centred like the fitting vocabulary (using its mean).
        """
        dim = self.W.shape[1]
        if isinstance(vectors, (Mapping, tuple)):
            words, matrix, _ = _as_vocabulary(vectors, "vectors")
            if matrix.shape[1] != dim:
                raise ValueError(f"`vectors` must have dimension {dim}, got {matrix.shape[1]}.")
            mapped = self._map_matrix(matrix, preprocess)
            if isinstance(vectors, Mapping):
                return dict(zip(words, mapped))
            return words, mapped
        array = np.asarray(vectors)
        if array.ndim not in (1, 2) or array.shape[-1] != dim:
            raise ValueError(f"`vectors` must have shape [{dim}] or [n, {dim}], got {array.shape}.")
        if not np.issubdtype(array.dtype, np.floating):
            array = array.astype(np.float64)
        return self._map_matrix(array[None] if array.ndim == 1 else array, preprocess).reshape(array.shape)

    def translate(self, word: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` nearest target words to the mapped ``word``, by cosine: ``[(word, cos), ...]``."""
        if word not in self._source_index:
            raise KeyError(f"{word!r} is not in the source vocabulary ({len(self.source_words)} words).")
        (k,) = _check_ks(k)
        query = self._map_matrix(self.source_matrix[self._source_index[word]][None], preprocess=False)
        idx, scores = _nearest(query, self.target_matrix, k)
        return [(self.target_words[i], float(s)) for i, s in zip(idx[0], scores[0])]


def align_embeddings(
    source_vectors: Vectors,
    target_vectors: Vectors,
    seed_dictionary: Dictionary,
    normalize: bool = True,
    center: bool = False,
) -> AlignmentResult:
    """Fit an orthogonal source-to-target map on a seed dictionary (orthogonal Procrustes).

    Args:
        source_vectors: source-language vectors, a dict or a ``(words, matrix)`` pair.
        target_vectors: target-language vectors of the same dimension.
        seed_dictionary: ``(source_word, target_word)`` pairs, or the path of a 2-column
            whitespace/tab-separated file. Pairs with a word missing from either vocabulary
            are skipped and reported in ``missing_pairs``; exact duplicates are dropped.
        normalize: L2-normalise every vector first, so the map aligns cosine geometry
            (Xing et al., 2015).
        center: also subtract the vocabulary mean (then re-normalise), as in Artetxe et al.
            (2018); the means are kept for :meth:`AlignmentResult.map`.
    """
    src_words, src_matrix, src_index = _as_vocabulary(source_vectors, "source_vectors")
    tgt_words, tgt_matrix, tgt_index = _as_vocabulary(target_vectors, "target_vectors")
    if src_matrix.shape[1] != tgt_matrix.shape[1]:
        raise ValueError(
            "Orthogonal Procrustes needs source and target vectors of the same dimension, got "
            f"source_vectors dim {src_matrix.shape[1]} and target_vectors dim {tgt_matrix.shape[1]}."
        )
    pairs = list(dict.fromkeys(_as_pairs(seed_dictionary, "seed_dictionary")))
    used = [(s, t) for s, t in pairs if s in src_index and t in tgt_index]
    missing = [(s, t) for s, t in pairs if not (s in src_index and t in tgt_index)]
    if len(used) < 2:
        n_src = sum(s not in src_index for s, _ in pairs)
        n_tgt = sum(t not in tgt_index for _, t in pairs)
        raise ValueError(
            f"`seed_dictionary` needs at least 2 pairs with both words in the vocabularies, got {len(used)} usable "
            f"of {len(pairs)} distinct pairs ({n_src} with the source word missing from `source_vectors`, "
            f"{n_tgt} with the target word missing from `target_vectors`)."
        )
    src_mean = _fit_mean(src_matrix, normalize, center)
    tgt_mean = _fit_mean(tgt_matrix, normalize, center)
    src_matrix = _preprocess(src_matrix, normalize, src_mean)
    tgt_matrix = _preprocess(tgt_matrix, normalize, tgt_mean)
    x = src_matrix[[src_index[s] for s, _ in used]]
    y = tgt_matrix[[tgt_index[t] for _, t in used]]
    return AlignmentResult(
        W=procrustes(x, y),
        used_pairs=used,
        missing_pairs=missing,
        source_words=src_words,
        source_matrix=src_matrix,
        target_words=tgt_words,
        target_matrix=tgt_matrix,
        normalize=normalize,
        center=center,
        source_mean=src_mean,
        target_mean=tgt_mean,
        _source_index=src_index,
    )


def retrieval_precision(
    result_or_W: AlignmentResult | np.ndarray,
    source_vectors: Vectors | None,
    target_vectors: Vectors | None,
    test_dictionary: Dictionary,
    k: int | Sequence[int] = (1, 5),
    csls: bool = False,
    csls_knn: int = 10,
) -> dict[str, float]:
    """Word-translation precision@k in percent (the MUSE / BLI evaluation).

    Each distinct source word of ``test_dictionary`` is a query; it counts as correct at
    ``k`` when any of its gold translations is among the ``k`` nearest target words (over the
    whole target vocabulary) to its mapped vector. Nearest means cosine, or CSLS with
    ``csls=True`` (Conneau et al., 2018). Queries whose source word, or all of whose
    translations, are out of vocabulary are skipped. Returns ``{"p@1": ..., "p@5": ...,
    "num_queries": n}``.

    With an :class:`AlignmentResult`, ``source_vectors``/``target_vectors`` may be ``None`` to
    reuse its vocabularies; given vectors are preprocessed like the fitted ones. With a plain
    ``W`` array the vectors are used as given.
    """
    ks = _check_ks(k)
    if isinstance(result_or_W, AlignmentResult):
        res = result_or_W
        if source_vectors is None:
            src_words, src_matrix = res.source_words, res.source_matrix
        else:
            src_words, src_matrix, _ = _as_vocabulary(source_vectors, "source_vectors")
            src_matrix = _preprocess(src_matrix, res.normalize, res.source_mean)
        if target_vectors is None:
            tgt_words, tgt_matrix = res.target_words, res.target_matrix
        else:
            tgt_words, tgt_matrix, _ = _as_vocabulary(target_vectors, "target_vectors")
            tgt_matrix = _preprocess(tgt_matrix, res.normalize, res.target_mean)
        W = res.W
    else:
        W = np.asarray(result_or_W, dtype=np.float64)
        if W.ndim != 2 or W.shape[0] != W.shape[1]:
            raise ValueError(
                f"`result_or_W` must be an AlignmentResult or a square [d, d] matrix, got shape {W.shape}."
            )
        if source_vectors is None or target_vectors is None:
            raise ValueError("`source_vectors` and `target_vectors` are required when `result_or_W` is a matrix.")
        src_words, src_matrix, _ = _as_vocabulary(source_vectors, "source_vectors")
        tgt_words, tgt_matrix, _ = _as_vocabulary(target_vectors, "target_vectors")
    for name, m in (("source_vectors", src_matrix), ("target_vectors", tgt_matrix)):
        if m.shape[1] != W.shape[1]:
            raise ValueError(f"`{name}` must have dimension {W.shape[1]} to match W, got {m.shape[1]}.")

    src_index = {w: i for i, w in enumerate(src_words)}
    tgt_index = {w: i for i, w in enumerate(tgt_words)}
    gold: dict[str, set[int]] = {}
    for s, t in _as_pairs(test_dictionary, "test_dictionary"):
        if s in src_index and t in tgt_index:
            gold.setdefault(s, set()).add(tgt_index[t])
    if not gold:
        raise ValueError(
            "No pair of `test_dictionary` has both words in the vocabularies; cannot compute precision."
        )
    queries = list(gold)
    mapped = src_matrix[[src_index[s] for s in queries]] @ W.T.astype(src_matrix.dtype, copy=False)
    penalty = None
    if csls:
        all_mapped = src_matrix @ W.T.astype(src_matrix.dtype, copy=False)
        penalty = csls_penalty(all_mapped, tgt_matrix, csls_knn)[None, :]
    idx, _ = _nearest(mapped, tgt_matrix, max(ks), penalty)
    hits = np.array([[j in gold[q] for j in row] for q, row in zip(queries, idx)], dtype=bool)
    out = {f"p@{kk}": 100.0 * float(hits[:, :kk].any(axis=1).mean()) for kk in ks}
    out["num_queries"] = len(queries)
    return out
