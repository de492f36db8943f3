"""Checks of the paper's claims about the graphical model M(G; alpha, beta) (chapter 2).

* :func:`theorem5_table`: Theorem 5 prefix by prefix: the graphical model's
  P(X_{t+1} | prefix), by Monte Carlo and by enumeration, against the RNN's own g_beta(h_t*).
* :func:`sample_future` and :func:`future_dependence`: Proposition 4, H_t independent of
  X_{t+2} given (H_{t-1}, X_t), as a covariance that is exactly zero for point-mass
  transitions and not for noisy ones.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch

from ..rnn.sequence import SequenceRNN, single_threaded
from ..sampling import inverse_cdf
from ..validate import (
    as_rng,
    check_choices,
    check_float_array,
    check_int,
    check_integers,
    check_size,
    check_symbol,
)
from .model import METHODS, RNNGraphicalModel

# Largest hidden value accepted by :func:`future_dependence` (its products must not overflow;
# a cell's hidden units lie in [-1, 1]).
MAX_ABS_HIDDEN = 1e100


def all_prefixes(n_symbols: int, max_length: int) -> list[tuple[int, ...]]:
    """Every prefix of length 1..max_length over K symbols, shortest first."""
    K = check_int(n_symbols, "n_symbols", minimum=1)
    L = check_int(max_length, "max_length", minimum=1)
    return [p for t in range(1, L + 1) for p in itertools.product(range(K), repeat=t)]


def theorem5_table(model: RNNGraphicalModel, rnn: SequenceRNN, max_length: int = 5,
                   n_samples: int = 50_000, rng=None, methods=("monte_carlo", "enumerate"),
                   ) -> pd.DataFrame:
    """Theorem 5, checked prefix by prefix: the graphical model's P(X_{t+1} | prefix) against
    the RNN's own g_beta(h_t*) from ``rnn.predict_next``.

    One row per (prefix, symbol x) for every prefix of length 1..max_length, with columns
    ``prefix`` (string), ``t``, ``x``, ``rnn`` (g_beta(h_t*)[x]) and per method: for
    "monte_carlo"/"rejection" ``<method>``, ``<method>_se``, ``<method>_z`` and
    ``<method>_n_effective`` (effective sample size or prefix matches); for "enumerate"
    ``enumerate`` and ``enumerate_abs_error``. Each Monte Carlo estimate gets its own child
    seed of ``rng``, recorded in ``seed``.
    """
    if not isinstance(model, RNNGraphicalModel):
        raise ValueError(f"model must be an RNNGraphicalModel (got {type(model).__name__})")
    if not isinstance(rnn, SequenceRNN):
        raise ValueError(f"rnn must be a SequenceRNN (got {type(rnn).__name__})")
    if rnn.n_symbols != model.n_symbols:
        raise ValueError(f"rnn has K = {rnn.n_symbols} symbols but the model K = "
                         f"{model.n_symbols}: compare a network with its own graphical model")
    max_length = check_int(max_length, "max_length", minimum=1)
    if max_length > model.horizon:
        raise ValueError(f"max_length = {max_length} exceeds the model's horizon "
                         f"{model.horizon}")
    methods = check_choices(methods, "methods", METHODS, "method")
    if "enumerate" in methods and not model.deterministic:
        raise ValueError("methods include 'enumerate', which needs point-mass transitions; "
                         "the noisy model allows 'monte_carlo' and 'rejection' only")
    if any(m != "enumerate" for m in methods):
        n_samples = check_int(n_samples, "n_samples", minimum=1)
    gen = as_rng(rng)
    rows = []
    for prefix in all_prefixes(model.n_symbols, max_length):
        g = rnn.predict_next(np.array(prefix))[-1]  # (K,)
        seed = int(gen.integers(2**62))
        cols = {}
        for method in methods:
            if method == "enumerate":
                est = model.conditional(prefix, method="enumerate")
                cols["enumerate"] = est
                cols["enumerate_abs_error"] = np.abs(est - g)
            else:
                mc = model.conditional(prefix, method=method, n_samples=n_samples, rng=seed)
                cols[method], cols[f"{method}_se"] = mc.estimate, mc.stderr
                cols[f"{method}_z"] = mc.z_scores(g)
                cols[f"{method}_n_effective"] = np.full(model.n_symbols, mc.n_effective)
        for x in range(model.n_symbols):
            rows.append({"prefix": "".join(map(str, prefix)), "t": len(prefix), "x": x,
                         "rnn": float(g[x]), "seed": seed,
                         **{k: float(v[x]) for k, v in cols.items()}})
    return pd.DataFrame(rows)


class FutureDependence(NamedTuple):
    """Cov(H_t, 1[X_{t+2} = symbol] | H_{t-1}, X_t), unit by unit (Proposition 4's check).

    cov:    (S,) sample covariance of each unit of H_t with the indicator.
    stderr: (S,) its standard error (0 when H_t does not vary).
    z:      (S,) cov / stderr (0 where both are 0).
    """

    cov: np.ndarray
    stderr: np.ndarray
    z: np.ndarray


@single_threaded
def sample_future(model: RNNGraphicalModel, x_t: int, n: int, h_prev=None, rng=None):
    """Draw (H_t, X_{t+1}, X_{t+2}) given H_{t-1} = h_prev (default h_0 = 0) and X_t = x_t.

    Given (H_{t-1}, X_t) the future of M(G) does not depend on anything earlier, so this is a
    forward simulation. Returns ``(h_t (n, S), x_next (n,), x_after (n,))``.
    """
    if not isinstance(model, RNNGraphicalModel):
        raise ValueError(f"model must be an RNNGraphicalModel (got {type(model).__name__})")
    n = check_int(n, "n", minimum=2)
    check_size(n * (model.state_size + 2), "sample_future(n)", "numbers")
    x_t = check_symbol(x_t, model.n_symbols, "x_t")
    gen = as_rng(rng)
    model.refresh()
    with torch.no_grad():
        if h_prev is None:
            h = model.initial_state(n)
        else:
            hp = torch.as_tensor(check_float_array(h_prev, "h_prev", 1), device=model.net.device)
            if hp.shape != (model.state_size,):
                raise ValueError(f"h_prev must have shape (S,) = ({model.state_size},) (got "
                                 f"{tuple(hp.shape)})")
            h = hp.expand(n, -1).clone()
        h_t = model.transition(h, model.as_tensor(np.full(n, x_t)), gen)
        xs = []
        h = h_t
        for _ in range(2):
            cum = torch.cumsum(model.emission(h), dim=-1).cpu().numpy()
            x = inverse_cdf(cum, gen.random(n))
            xs.append(x)
            h = model.transition(h, model.as_tensor(x), gen)
    return h_t.cpu().numpy(), xs[0], xs[1]


def future_dependence(h_t: np.ndarray, x_after: np.ndarray, symbol: int = 1) -> FutureDependence:
    """Covariance of each unit of ``h_t`` (n, S) with 1[``x_after`` (n,) == symbol].

    Proposition 4 says H_t is independent of X_{t+2} given (H_{t-1}, X_t), so under M(G)
    every covariance is zero; under the noisy model it need not be.
    """
    h_t = check_float_array(h_t, "h_t", 2, max_abs=MAX_ABS_HIDDEN)
    symbol = check_int(symbol, "symbol", minimum=0)
    ind = (check_integers(x_after, "x_after", "symbols") == symbol).astype(np.float64)
    if ind.ndim != 1 or ind.shape != (h_t.shape[0],) or h_t.shape[0] < 2:
        raise ValueError(f"h_t must be (n, S) and x_after (n,) with n >= 2 (got shapes "
                         f"{h_t.shape}, {ind.shape})")
    n = h_t.shape[0]
    centred = h_t - h_t.mean(axis=0)
    centred[:, np.ptp(h_t, axis=0) == 0] = 0.0  # a unit that never varies: exactly zero
    prod = centred * (ind - ind.mean())[:, None]  # (n, S)
    cov = prod.sum(axis=0) / (n - 1)
    se = prod.std(axis=0, ddof=1) / np.sqrt(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, cov / np.where(se > 0, se, 1.0), 0.0)
    return FutureDependence(cov, se, z)
