"""Multinomial logistic regression over a dense block and a sparse block kept apart.

scikit-learn's `LogisticRegression` wants one matrix, so 384 dense sentence features
beside the sparse TF-IDF columns became 384 stored non-zeros per row: four fifths of
the matrix, multiplied as sparse on every L-BFGS step. Here the dense block is a NumPy
array (BLAS) and only the TF-IDF is sparse; the objective is scikit-learn's (summed
log-loss plus ||W||² / 2C, intercept unpenalised) and so is the solver (L-BFGS-B).
The sparse products, about half the objective's time, run on a thread per core: SciPy
releases the GIL in them, and each thread takes its own rows, so the result is the same.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import logsumexp


class _RowSplitProduct:
    """`matrix @ dense` with the matrix's rows cut into one part per core."""

    def __init__(self, matrix: sp.csr_matrix, pool: ThreadPoolExecutor, parts: int) -> None:
        bounds = np.linspace(0, matrix.shape[0], parts + 1).astype(int)
        self._parts = [matrix[a:b] for a, b in pairwise(bounds)]
        self._pool = pool

    def __matmul__(self, dense: np.ndarray) -> np.ndarray:
        dense = np.ascontiguousarray(dense)
        return np.vstack(list(self._pool.map(lambda part: part @ dense, self._parts)))


class SoftmaxRegression:
    """Weights per class for the dense block (`dense_coef`), the sparse block
    (`sparse_coef`) and an intercept."""

    def __init__(
        self,
        classes: np.ndarray,
        dense_coef: np.ndarray,
        sparse_coef: np.ndarray,
        intercept: np.ndarray,
        iterations: int = 0,
    ) -> None:
        self.classes_ = classes
        self.dense_coef, self.sparse_coef, self.intercept = dense_coef, sparse_coef, intercept
        self.iterations = iterations
        # Features × classes, contiguous: a transposed view would be copied on every call.
        self._dense_t = np.ascontiguousarray(dense_coef.T)
        self._sparse_t = np.ascontiguousarray(sparse_coef.T)

    @classmethod
    def fit(
        cls,
        dense: np.ndarray,
        sparse: sp.csr_matrix,
        labels: list[str],
        C: float,
        max_iter: int,
        tol: float = 1e-4,
        memory: int = 10,
    ) -> "SoftmaxRegression":
        """L-BFGS-B keeps `memory` past steps of every weight: its own work per
        iteration grows with memory × weights, beside the objective's."""
        classes, y = np.unique(np.asarray(labels), return_inverse=True)
        n, k = len(y), len(classes)
        d, s = dense.shape[1], sparse.shape[1]
        dense = np.ascontiguousarray(dense, dtype=np.float64)
        sparse = sp.csr_matrix(sparse, dtype=np.float64)
        parts = os.cpu_count() or 1
        pool = ThreadPoolExecutor(parts)
        by_example = _RowSplitProduct(sparse, pool, parts)
        by_column = _RowSplitProduct(sparse.T.tocsr(), pool, parts)
        onehot = np.zeros((n, k))
        onehot[np.arange(n), y] = 1.0

        def split(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            w = w.reshape(k, d + s + 1)
            return w[:, :d], w[:, d : d + s], w[:, -1]

        def loss_and_gradient(w: np.ndarray) -> tuple[float, np.ndarray]:
            wd, ws, b = split(w)
            scores = dense @ wd.T + by_example @ ws.T + b
            norm = logsumexp(scores, axis=1)
            loss = float((norm - scores[np.arange(n), y]).sum())
            residual = np.exp(scores - norm[:, np.newaxis]) - onehot
            grad = np.empty((k, d + s + 1))
            grad[:, :d] = residual.T @ dense + wd / C
            grad[:, d : d + s] = (by_column @ residual).T + ws / C
            grad[:, -1] = residual.sum(axis=0)
            loss += float((wd**2).sum() + (ws**2).sum()) / (2 * C)
            return loss, grad.ravel()

        with pool:
            result = minimize(
                loss_and_gradient,
                np.zeros(k * (d + s + 1)),
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": max_iter, "gtol": tol, "maxcor": memory},
            )
        wd, ws, b = split(result.x)
        return cls(classes, wd.copy(), ws.copy(), b.copy(), int(result.nit))

    def predict_proba(self, dense: np.ndarray, sparse: sp.csr_matrix) -> np.ndarray:
        scores = dense @ self._dense_t + np.asarray(sparse @ self._sparse_t)
        scores += self.intercept
        return np.exp(scores - logsumexp(scores, axis=1)[:, np.newaxis])
