"""The clusterer's saved state, read without scikit-learn (numpy and scipy only).

Usage::

    boilerplate = stored_boilerplate(session)     # per-outlet sentence counts (text.BoilerplateFilter)
    idf, params = stored_idf(session)             # None before any clustering run
    rows = weight_counts(stack_terms(blobs, len(idf)), idf, params["top_raw"])

``events.py`` writes this state and ``cluster.py`` weighs with the same functions; the
comparison (``omissions.py``) reads it to link an outlet's unclustered reports, and must
not pay scikit-learn's import (~0.6 s) on every ``narratives compare EVENT``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy.orm import Session

from .models import StateRow
from .text import BoilerplateFilter

if TYPE_CHECKING:  # the functions that use scipy import it: linking is rare, start-up is not
    import scipy.sparse as sp


def npz(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def load_npz(blob: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def load_df(s: Session, n_features: int) -> np.ndarray:
    arrays = load_npz(s.get(StateRow, "cluster.df").data)
    df = np.zeros(n_features, np.int64)
    df[arrays["index"]] = arrays["count"]
    return df


def stored_boilerplate(s: Session) -> BoilerplateFilter:
    """The boilerplate counts the last clustering run saved (empty before any run)."""
    row = s.get(StateRow, "cluster.boilerplate")
    return BoilerplateFilter() if row is None else BoilerplateFilter.from_arrays(load_npz(row.data))


def stored_idf(s: Session) -> tuple[np.ndarray, dict] | None:
    """The clusterer's IDF over the store and its parameters (None before any clustering run):
    how comparison weighs the stored term counts exactly as clustering does."""
    saved = s.get(StateRow, "cluster.params")
    if saved is None or s.get(StateRow, "cluster.df") is None:
        return None
    meta = json.loads(saved.data)
    params = meta["params"]
    return idf_of(load_df(s, params["n_features"]), meta["n_docs"]), params


def unpack_terms(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    n = len(blob) // 6
    return np.frombuffer(blob, "<i4", n), np.frombuffer(blob, "<u2", n, offset=4 * n)


def stack_terms(blobs: Sequence[bytes], n_features: int) -> sp.csr_matrix:
    """Stored term-count blobs (``cluster_articles.terms``) as one CSR matrix, a row each."""
    import scipy.sparse as sp

    parts = [unpack_terms(b) for b in blobs]
    indptr = np.concatenate([[0], np.cumsum([len(i) for i, _c in parts])])
    if not parts:
        return sp.csr_matrix((0, n_features), dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate([c for _i, c in parts]).astype(np.float32), np.concatenate([i for i, _c in parts]), indptr),
        shape=(len(blobs), n_features))


def idf_of(df: np.ndarray, n_docs: int) -> np.ndarray:
    """Smoothed inverse document frequency (scikit-learn's ``smooth_idf``) per feature."""
    return np.log((1.0 + n_docs) / (1.0 + df)) + 1.0


def weight_counts(counts: sp.spmatrix, idf: np.ndarray, top: int) -> sp.csr_matrix:
    """(1 + ln tf) x idf of term counts, the ``top`` largest terms per row, l2-normalised."""
    import scipy.sparse as sp

    x = sp.csr_matrix(counts, dtype=np.float64)
    x.data = np.maximum(1.0 + np.log(np.maximum(x.data, 1e-9)), 0.0)
    return top_terms(l2(x @ sp.diags(idf)), top).astype(np.float32)


def top_terms(x: sp.spmatrix, m: int) -> sp.csr_matrix:
    """Keep the m largest entries of each row (ties: lower column first), then l2-normalise."""
    import scipy.sparse as sp

    x = sp.csr_matrix(x)
    x.sort_indices()
    lengths = np.diff(x.indptr)
    if lengths.max(initial=0) <= m:
        return l2(x)
    rows = np.repeat(np.arange(x.shape[0]), lengths)
    data = x.data.astype(np.float64)
    row_max = np.zeros(x.shape[0])
    row_max[lengths > 0] = np.maximum.reduceat(data, x.indptr[:-1][lengths > 0])
    # Sort by row, then by value relative to the row maximum (descending), stably by column.
    scale = np.where(row_max[rows] > 0, row_max[rows], 1.0)
    order = np.argsort(rows + 0.999 * (1.0 - data / scale), kind="stable")
    rank = np.arange(len(order)) - x.indptr[rows[order]]
    keep = np.sort(order[rank < m])
    return l2(sp.csr_matrix((x.data[keep], (rows[keep], x.indices[keep])), shape=x.shape))


def l2(x: sp.spmatrix) -> sp.csr_matrix:
    import scipy.sparse as sp

    x = sp.csr_matrix(x)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ x)


