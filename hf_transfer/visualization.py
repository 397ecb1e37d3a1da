"""2-D pictures of learned features: shared and private features side by side, coloured by
language, so one can see whether the shared space mixes the languages (what the adversary wants)
while the private space keeps them apart. Needs matplotlib (optional, imported lazily)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def project_2d(features, method: str = "pca", seed: int = 0) -> np.ndarray:
    """`[n, d]` features to `[n, 2]`: `"pca"` (centred SVD, deterministic) or `"tsne"`
    (scikit-learn's t-SNE; slower, shows clusters rather than global geometry)."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"features must have shape [n >= 2, dim], got {x.shape}")
    if method == "pca":
        x = x - x.mean(axis=0, keepdims=True)
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        out = x @ vt[:2].T
        if out.shape[1] < 2:
            out = np.pad(out, ((0, 0), (0, 2 - out.shape[1])))
        return out
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = float(min(30, max(2, (x.shape[0] - 1) // 3)))
        return TSNE(n_components=2, init="pca", random_state=seed, perplexity=perplexity).fit_transform(x)
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")


def _pyplot():
    try:
        import matplotlib
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("plot_feature_projection needs matplotlib: pip install matplotlib") from err
    matplotlib.use("Agg", force=False)  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def plot_feature_projection(
    path: str | os.PathLike,
    features: dict[str, np.ndarray],
    languages: Sequence[int] | Sequence[str],
    language_names: Sequence[str] | None = None,
    method: str = "pca",
    title: str | None = None,
    max_points: int = 2000,
    seed: int = 0,
) -> Path:
    """Save a PNG with one panel per feature set (e.g. `{"shared": S, "private": P}`), each a 2-D
    projection (`project_2d`) coloured by language.

    Args:
        path: the PNG to write (parent folders are created).
        features: panel title -> `[n, d]` features of the same `n` examples.
        languages: `[n]` language ids (or names); id `-100` is drawn as "unknown".
        language_names: names for the ids (`config.languages`).
        max_points: subsample (with `seed`) to keep t-SNE and the file small.
    """
    if not features:
        raise ValueError("features is empty: pass e.g. {'shared': shared, 'private': private}")
    languages = np.asarray(languages)
    n = len(languages)
    for name, value in features.items():
        if len(value) != n:
            raise ValueError(f"features[{name!r}] has {len(value)} rows but languages has {n}")
    rows = np.arange(n)
    if n > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(n, max_points, replace=False))
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(features), figsize=(5 * len(features), 4.5), squeeze=False)
    values = languages[rows]
    groups = list(dict.fromkeys(values.tolist()))
    cmap = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20")
    for ax, (name, value) in zip(axes[0], features.items()):
        points = project_2d(np.asarray(value)[rows], method=method, seed=seed)
        for i, group in enumerate(groups):
            sel = values == group
            if isinstance(group, (int, np.integer)) and language_names is not None and 0 <= group < len(language_names):
                label = language_names[group]
            else:
                label = "unknown" if group == -100 else str(group)
            ax.scatter(points[sel, 0], points[sel, 1], s=6, alpha=0.6, color=cmap(i % cmap.N), label=label)
        ax.set_title(f"{name} features ({method.upper()})")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0][-1].legend(loc="best", fontsize=8, markerscale=2)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
