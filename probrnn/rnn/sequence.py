"""An RNN as a generative model of symbol sequences (the paper's 2.1 and 3.1).

Chapter 2, *RNNs as generative models and as graphical models*. A
:class:`SequenceRNN` reads x_1..t and outputs the distribution of the next symbol,

    h_0 = 0,   h_s = f_alpha(h_{s-1}, x_s)  (s = 1..t),   P(X_{t+1} = . | x_1..t) = g_beta(h_t),

with f_alpha a tanh RNN, GRU or LSTM step (:class:`probrnn.rnn.cells.RecurrentCore`) and
g_beta(h) = softmax(V h + c) over K symbols (for K = 2 this is the paper's sigmoid). Trained by
:func:`probrnn.fit_sequence_rnn`, the paper's maximum conditional likelihood estimator

    argmax_{alpha, beta} sum_i sum_{t=1}^{T-1} log P(x^(i)_{t+1} | x^(i)_1..t; alpha, beta).

Remark 1 of the paper: this models P(X_2..T | X_1) only, never P(X_1). A full joint needs a
separate model of the first symbol; :class:`EmpiricalFirstSymbol` is the natural one (the
first-symbol frequencies of the training data), and :meth:`SequenceRNN.log_likelihood` says which
of the two quantities it returns through its ``first_model`` argument.

Conventions (those of :meth:`probrnn.HMM.predict_next`): ``predict_next(obs)`` maps (n, T)
symbols to (n, T, K) where entry t (0-based) is P(X_{t+2} | x_1..t+1) in the paper's 1-based
time, i.e. the prediction made after reading ``obs[:, :t+1]``. Evaluation (``predict_next``,
``log_likelihood``, ``sample``) runs in float64 on a copy of the weights, so the probabilities
are the exact function of the (float32) weights to ~1e-12; training runs in float32.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import torch
from torch import nn

from ..sampling import inverse_cdf
from ..threads import torch_threads
from ..validate import (
    as_array,
    as_rng,
    check_bool,
    check_int,
    check_integers,
    check_obs,
    check_prob_vector,
    check_real,
    check_size,
)
from .cells import ReadoutRNN

_CHUNK = 4096  # sequences per forward pass at evaluation time
EVAL_THREADS = 1  # torch CPU threads for evaluation and sampling (see torch_threads)


# ---------------------------------------------------------------------------------- threads
def single_threaded(method):
    """Decorator: run ``method`` under :func:`torch_threads` (EVAL_THREADS)."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with torch_threads(EVAL_THREADS):
            return method(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------------- validation
def check_sequences(obs, n_symbols: int, name: str = "obs") -> tuple[np.ndarray, bool]:
    """:func:`probrnn._validate.check_obs`, plus a hint when ``obs`` looks like padded sequences.

    Sequences of different lengths padded into a rectangle (with NaN or negative values at the
    end of short rows) are rejected with a message that says so.
    """
    try:
        return check_obs(obs, n_symbols, name)
    except ValueError as err:
        hint = _padding_hint(obs)
        if hint:
            raise ValueError(f"{err}. {hint}") from None
        raise


def _padding_hint(obs) -> str:
    try:
        arr = as_array(obs, "obs")
    except ValueError:
        return ""
    if arr.dtype.kind not in "biuf":
        return ""
    arr = arr.astype(np.float64)
    if arr.ndim != 2 or arr.size == 0:
        return ""
    pad = np.isnan(arr) | (arr < 0)
    if not pad.any():
        return ""
    # Padding is a suffix of each row: once a row is padded it stays padded.
    if np.any(np.diff(pad.astype(np.int8), axis=1) < 0):
        return ""
    rows = np.flatnonzero(pad.any(axis=1))
    lengths = (~pad).sum(axis=1)
    return (
        f"It looks like sequences of different lengths padded into a rectangle (row {rows[0]} "
        f"has {lengths[rows[0]]} symbols, then padding); the model needs sequences of one length "
        "T: group them by length and call once per group, or truncate them"
    )


# ---------------------------------------------------------------------------------- P(X_1)
class EmpiricalFirstSymbol:
    """A model of the first symbol X_1, which the RNN leaves out (the paper's Remark 1).

    ``probs`` (K,) is P(X_1 = x). Build it from data with :meth:`fit` (the first-symbol
    frequencies, optionally smoothed by ``pseudocount``) or use :meth:`uniform`.
    """

    def __init__(self, probs):
        p = check_prob_vector(probs, "probs")
        p.flags.writeable = False
        self.probs = p

    @classmethod
    def fit(cls, obs, n_symbols: int, pseudocount: float = 0.0) -> EmpiricalFirstSymbol:
        """Frequencies of ``obs[:, 0]`` plus ``pseudocount`` per symbol, normalised."""
        K = check_int(n_symbols, "n_symbols", minimum=1)
        arr, _ = check_sequences(obs, K)
        pseudocount = check_real(pseudocount, "pseudocount", 0.0)
        counts = np.bincount(arr[:, 0], minlength=K) + pseudocount
        counts = counts / counts.max()  # a pseudocount near 1e308 must not overflow the sum
        return cls(counts / counts.sum())

    @classmethod
    def uniform(cls, n_symbols: int) -> EmpiricalFirstSymbol:
        """P(X_1 = x) = 1 / K."""
        K = check_int(n_symbols, "n_symbols", minimum=1)
        return cls(np.full(K, 1.0 / K))

    @property
    def n_symbols(self) -> int:
        return self.probs.shape[0]

    def log_prob(self, x) -> np.ndarray:
        """log P(X_1 = x) for symbols x in [0, K) (any shape; a scalar gives a 0-d array);
        -inf for a symbol of probability zero (never seen, without a pseudocount)."""
        x = check_integers(x, "x", "symbols", 0, self.n_symbols)
        with np.errstate(divide="ignore"):
            return np.log(self.probs)[x]

    def sample(self, n: int, rng=None) -> np.ndarray:
        """(n,) int64 draws of X_1, n >= 1."""
        n = check_int(n, "n (number of draws)", minimum=1)
        u = as_rng(rng).random(n)
        idx = np.searchsorted(np.cumsum(self.probs), u, side="right")
        return np.minimum(idx, self.n_symbols - 1).astype(np.int64)

    def __repr__(self) -> str:
        return f"EmpiricalFirstSymbol(probs={np.round(self.probs, 4).tolist()})"


# ---------------------------------------------------------------------------------- the model
class SequenceRNN(ReadoutRNN):
    """P(X_{t+1} | x_1..t) = g_beta(h_t), h_t = f_alpha(h_{t-1}, x_t), h_0 = 0 (paper's 3.1).

    Args:
        n_symbols: K, the number of symbols (2 in the paper's 3.1).
        hidden_size: k, units per layer (>= 1).
        cell: "rnn" (the paper's tanh RNN), "gru" or "lstm".
        num_layers: stacked layers (the paper's "deep extensions"; default 1).
        seed: int, ``torch.Generator`` or None (fresh entropy) for the initial weights, each
            drawn from U(-1/sqrt(k), 1/sqrt(k)) (torch's default scale). Global RNG state is
            neither used nor changed.

    Usable untrained. ``first_model`` (an :class:`EmpiricalFirstSymbol`, uniform until
    :func:`fit_sequence_rnn` sets it from the data) is where :meth:`sample` draws X_1 from.

    The recurrent state used as H_t by :class:`probrnn.graphical.RNNGraphicalModel` is the
    whole state of the cell, flattened to (B, S): S = num_layers * k for rnn/gru and
    2 * num_layers * k for lstm (h then c). :meth:`initial_state`, :meth:`step` (f_alpha) and
    :meth:`emit` (g_beta) expose it.
    """

    def __init__(self, n_symbols: int, hidden_size: int, cell: str = "rnn", num_layers: int = 1,
                 seed=None):
        K = check_int(n_symbols, "n_symbols", minimum=1)
        super().__init__(K, K, hidden_size, cell, num_layers, seed)
        self.first_model = EmpiricalFirstSymbol.uniform(K)

    # -------------------------------------------------------------- sizes
    @property
    def state_size(self) -> int:
        """S, the size of the flattened recurrent state H_t."""
        per = self.num_layers * self.hidden_size
        return 2 * per if self.cell == "lstm" else per

    def extra_repr(self) -> str:
        return (f"n_symbols={self.n_symbols}, hidden_size={self.hidden_size}, cell={self.cell!r}, "
                f"num_layers={self.num_layers}")

    # -------------------------------------------------------------- torch-level pieces
    def initial_state(self, batch: int) -> torch.Tensor:
        """h_0 = 0, flattened: (B, S)."""
        p = self.head.weight
        return torch.zeros(batch, self.state_size, dtype=p.dtype, device=p.device)

    def step(self, state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """f_alpha: state (B, S), symbols x (B,) int64 -> next state (B, S)."""
        onehot = nn.functional.one_hot(x, self.n_symbols).to(state.dtype)[:, None, :]  # (B, 1, K)
        _, hx = self.core.rnn(onehot, self._unflatten(state))
        return self._flatten(hx)

    def emit(self, state: torch.Tensor) -> torch.Tensor:
        """g_beta: state (B, S) -> P(next symbol) (B, K), from the top layer's h."""
        return torch.softmax(self._emit_logits(state), dim=-1)

    def emit_log(self, state: torch.Tensor) -> torch.Tensor:
        """log g_beta: state (B, S) -> log P(next symbol) (B, K), by a log-softmax (finite
        for finite logits, where the log of :meth:`emit` can underflow to -inf)."""
        return torch.log_softmax(self._emit_logits(state), dim=-1)

    def _emit_logits(self, state: torch.Tensor) -> torch.Tensor:
        L, k = self.num_layers, self.hidden_size
        top = state[:, (L - 1) * k: L * k]  # (B, k)
        return self.head(top)

    def _unflatten(self, state: torch.Tensor):
        B, L, k = state.shape[0], self.num_layers, self.hidden_size
        if self.cell == "lstm":
            h = state[:, : L * k].reshape(B, L, k).transpose(0, 1).contiguous()
            c = state[:, L * k:].reshape(B, L, k).transpose(0, 1).contiguous()
            return (h, c)
        return state.reshape(B, L, k).transpose(0, 1).contiguous()  # (L, B, k)

    def _flatten(self, hx) -> torch.Tensor:
        if self.cell == "lstm":
            h, c = hx
            B = h.shape[1]
            return torch.cat([h.transpose(0, 1).reshape(B, -1), c.transpose(0, 1).reshape(B, -1)],
                             dim=1)
        return hx.transpose(0, 1).reshape(hx.shape[1], -1)

    def float64_copy(self) -> SequenceRNN:
        """A float64 copy on the same device (the evaluation copy; see the module docstring)."""
        return copy.deepcopy(self).to(torch.float64).eval()

    # -------------------------------------------------------------- numpy-level API
    @single_threaded
    def predict_next(self, obs) -> np.ndarray:
        """P(X_{t+1} | x_1..t) for every prefix: (n, T) -> (n, T, K); (T,) -> (T, K).

        Entry t (0-based) is the prediction after reading ``obs[..., :t+1]``, i.e. g_beta(h_{t+1})
        in the paper's 1-based notation (the convention of :meth:`probrnn.HMM.predict_next`).
        """
        arr, single = check_sequences(obs, self.n_symbols)
        out = self._evaluate(arr, torch.softmax)
        return out[0] if single else out

    def _evaluate(self, arr: np.ndarray, fn) -> np.ndarray:
        """``fn`` (softmax or log_softmax) of the float64 logits for checked (n, T) symbols."""
        net = self.float64_copy()
        out = np.empty(arr.shape + (self.n_symbols,))
        with torch.no_grad():
            for lo in range(0, arr.shape[0], _CHUNK):
                x = torch.as_tensor(arr[lo: lo + _CHUNK], device=net.device)
                out[lo: lo + _CHUNK] = fn(net(x), dim=-1).cpu().numpy()
        return out

    @single_threaded
    def log_likelihood(self, obs, first_model=None, allow_zero=False) -> np.ndarray:
        """Log-probability of each sequence: (n, T) -> (n,); (T,) -> float.

        ``first_model=None`` (the default): X_1 is **not** modelled and the result is
        log P(x_2..T | x_1) = sum_{t=1}^{T-1} log g_beta(h_t)[x_{t+1}] (the RNN's own quantity,
        Remark 1). ``first_model`` an :class:`EmpiricalFirstSymbol` or a (K,) probability
        vector: X_1 is modelled by it and the result is the joint log P(x_1..T) =
        log P(x_1) + log P(x_2..T | x_1).

        The network's log-probabilities come from a log-softmax, so they are finite however
        extreme its logits. A first symbol of probability zero under ``first_model`` raises
        ``ValueError`` naming the sequence (as :meth:`probrnn.HMM.log_likelihood` does), unless
        ``allow_zero=True``, when that sequence's log-likelihood is ``-inf``.
        """
        arr, single = check_sequences(obs, self.n_symbols)
        allow_zero = check_bool(allow_zero, "allow_zero")
        if first_model is not None:
            if not isinstance(first_model, EmpiricalFirstSymbol):
                first_model = EmpiricalFirstSymbol(first_model)
            if first_model.n_symbols != self.n_symbols:
                raise ValueError(f"first_model has {first_model.n_symbols} symbols, the RNN "
                                 f"{self.n_symbols}")
            first = first_model.log_prob(arr[:, 0])  # (n,)
            if not allow_zero and np.isneginf(first).any():
                i = int(np.flatnonzero(np.isneginf(first))[0])
                raise ValueError(f"observation sequence {i} has probability zero under "
                                 f"first_model: its first symbol {arr[i, 0]} has P(X_1) = 0 "
                                 "(fit first_model with a pseudocount, or pass allow_zero=True)")
        log_probs = self._evaluate(arr[:, :-1], torch.log_softmax) if arr.shape[1] > 1 else \
            np.zeros((arr.shape[0], 0, self.n_symbols))
        picked = np.take_along_axis(log_probs, arr[:, 1:, None], axis=2)[..., 0]  # (n, T-1)
        ll = picked.sum(axis=1)  # (n,)
        if first_model is not None:
            ll = ll + first
        return float(ll[0]) if single else ll

    @single_threaded
    def sample(self, n: int, T: int, rng=None, first=None) -> np.ndarray:
        """n sequences of length T: (n, T) int64.

        X_1 comes from ``first``: None -> ``self.first_model``; an int -> that symbol for every
        sequence; an (n,) array -> those symbols; an :class:`EmpiricalFirstSymbol` -> drawn
        from it. Then X_{t+1} ~ g_beta(h_t) by the inverse CDF of one uniform per step.
        """
        n = check_int(n, "n (number of sequences)", minimum=1)
        T = check_int(T, "T (sequence length)", minimum=1)
        check_size(n * T, "sample(n, T)", "symbols")
        gen = as_rng(rng)
        x1 = resolve_first(first, n, self.n_symbols, self.first_model, gen)
        net = self.float64_copy()
        obs = np.empty((n, T), dtype=np.int64)
        obs[:, 0] = x1
        u = gen.random((n, max(T - 1, 0)))
        with torch.no_grad():
            state = net.initial_state(n)
            for t in range(T - 1):
                state = net.step(state, torch.as_tensor(obs[:, t], device=net.device))
                cum = torch.cumsum(net.emit(state), dim=-1).cpu().numpy()  # (n, K)
                obs[:, t + 1] = inverse_cdf(cum, u[:, t])
        return obs


def resolve_first(first, n: int, K: int, default: EmpiricalFirstSymbol,
                  gen: np.random.Generator) -> np.ndarray:
    """X_1 for n sequences from ``first`` (see :meth:`SequenceRNN.sample`): (n,) int64."""
    if first is None:
        first = default
    if isinstance(first, EmpiricalFirstSymbol):
        if first.n_symbols != K:
            raise ValueError(f"first-symbol model has {first.n_symbols} symbols, the RNN {K}")
        return first.sample(n, gen)
    what = f"first must be a symbol, an (n,) = ({n},) array of symbols or an EmpiricalFirstSymbol"
    try:
        x1 = check_integers(first, "first", "symbols", 0, K)
    except ValueError as err:  # our own check: say what first may be, then what is wrong
        raise ValueError(f"{what} ({err})") from None
    if x1.ndim == 0:
        x1 = np.full(n, x1)
    if x1.shape != (n,):
        raise ValueError(f"{what} (got shape {x1.shape})")
    return x1
