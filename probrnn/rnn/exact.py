"""The forward algorithm written as an RNN: the constructive side of Proposition 6.

Chapter *RNNs as approximations of the forward algorithm*. With k = m hidden units and the
hidden state read as the normalised belief p(H_t | x_1..t) (phi = identity on beliefs), the
recurrence

    h_t = f(h_{t-1}, x_t) = N(D_{x_t} (V h_{t-1} + (1 - 1'h_{t-1}) pi)),   h_0 = 0,

with N(v) = v / 1'v, is exactly the normalised forward algorithm. The term (1 - 1'h) pi is
the start-up trick: it equals pi when h = 0 (so h_1 = N(D_{x_1} pi)) and vanishes on every
later step, where the columns of V summing to one keep 1'h = 1. It is time-invariant and needs
no special first step, like any RNN. In floating point 1'h is 1 only up to rounding, so the
step cuts 1 - 1'h to exactly 0 once it is below 1/2: otherwise a share of pi of about 1e-16
would leak into every step, swamping the belief in a state whose probability is far smaller.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..validate import (
    check_dtype,
    check_hmm,
    check_obs,
    check_prob_vector,
    check_stochastic_matrix,
)


class ExactForwardRNN(nn.Module):
    """An RNN (k = m) whose hidden state is the forward algorithm's normalised belief.

    Built by :func:`exact_forward_rnn`. ``forward`` gives log p(H_t | x_1..t) (B, T, m), so the
    head g is the identity on beliefs; ``predict_proba`` matches ``hmm.filter`` to rounding.
    """

    def __init__(self, startprob, transmat, emissionprob, dtype=torch.float64):
        super().__init__()
        pi = check_prob_vector(startprob, "startprob")
        A = check_stochastic_matrix(transmat, "transmat")
        B = check_stochastic_matrix(emissionprob, "emissionprob")
        m = pi.shape[0]
        if A.shape != (m, m) or B.shape[0] != m:
            raise ValueError(f"transmat must be (m, m) and emissionprob (m, K) with m = {m} "
                             f"(the length of startprob); got {A.shape} and {B.shape}")
        dtype = check_dtype(dtype)
        # each symbol's likelihoods divided by their largest: the same normalised beliefs, and
        # products of tiny likelihoods and predictions do not underflow as easily
        scaled = B.T / np.maximum(B.T.max(axis=1, keepdims=True), np.finfo(float).tiny)
        if dtype == torch.float32:
            tiny = float(np.finfo(np.float32).tiny)
            for name, arr in (("startprob", pi), ("transmat", A), ("emissionprob", B.T),
                              ("emissionprob (scaled by each symbol's largest)", scaled)):
                lost = (arr > 0) & (arr < tiny)
                if lost.any():
                    raise ValueError(f"{name} has non-zero entries below float32's smallest "
                                     f"normal number ({tiny:.3g}), e.g. {arr[lost].min():.3g}: "
                                     "they would act as zeros; use dtype=torch.float64")
        self.register_buffer("startprob", torch.tensor(pi, dtype=dtype))
        self.register_buffer("transmat", torch.tensor(A, dtype=dtype))
        self.register_buffer("emis_t", torch.tensor(scaled, dtype=dtype))  # (K, m), scaled
        self.register_buffer("emissionprob", torch.tensor(B, dtype=dtype))  # (m, K)

    @property
    def n_states(self) -> int:
        return self.startprob.shape[0]

    hidden_size = n_states

    @property
    def n_symbols(self) -> int:
        return self.emis_t.shape[0]

    def step(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """f(h_{t-1}, x_t): h (B, m), x (B,) int64 -> h_t (B, m)."""
        pred = h @ self.transmat  # (B, m): V h, since V = transmat.T
        start = 1 - h.sum(-1, keepdim=True)  # 1 at h_0 = 0; 0 later, up to rounding
        start = torch.where(start > 0.5, start, torch.zeros_like(start))  # cut the rounding
        pred = pred + start * self.startprob  # start-up term
        alpha = pred * self.emis_t[x]  # (B, m): D_x (...)
        c = alpha.sum(-1, keepdim=True)  # (B, 1)
        return alpha / torch.where(c > 0, c, torch.ones_like(c))  # zeros if x is impossible

    def hidden(self, obs: torch.Tensor) -> torch.Tensor:
        """obs (B, T) int64 -> hidden states h_1..h_T (B, T, m)."""
        B, T = obs.shape
        h = self.startprob.new_zeros(B, self.n_states)  # h_0 = 0
        out = []
        for t in range(T):
            h = self.step(h, obs[:, t])
            out.append(h)
        return torch.stack(out, dim=1)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """obs (B, T) int64 -> log p(H_t | x_1..t) (B, T, m) (-inf for probability zero)."""
        return torch.log(self.hidden(obs))

    def _run(self, obs) -> tuple[np.ndarray, bool]:
        arr, single = check_obs(obs, self.n_symbols)
        with torch.no_grad():
            h = self.hidden(torch.as_tensor(arr, device=self.startprob.device))
        h = h.cpu().numpy()
        dead = h.sum(-1) == 0  # (n, T): the belief vanished, x_t was impossible
        if dead.any():
            i, t = (int(v) for v in np.argwhere(dead)[0])
            hint = ("" if self.startprob.dtype == torch.float64 else
                    " (or its probability underflowed in float32: use dtype=torch.float64)")
            raise ValueError(f"observation sequence {i} has probability zero under the model: "
                             f"its symbol at t = {t} (0-based) is impossible given the symbols "
                             f"before it; p(H_t | x_1..t) is undefined{hint}")
        return h, single

    def predict_proba(self, obs) -> np.ndarray:
        """p(H_t | x_1..t): (n, T) -> (n, T, m); a single (T,) sequence -> (T, m)."""
        h, single = self._run(obs)
        return h[0] if single else h

    def hidden_states(self, obs) -> np.ndarray:
        """The hidden units h_t, here the beliefs themselves: (n, T) -> (n, T, m)."""
        return self.predict_proba(obs)

    def predict_next(self, obs) -> np.ndarray:
        """The head g of condition C.3: p(X_{t+1} | x_1..t) = B' V h_t, (n, T) -> (n, T, K)."""
        h, single = self._run(obs)
        out = (h @ self.transmat.cpu().numpy()) @ self.emissionprob.cpu().numpy()
        return out[0] if single else out


def exact_forward_rnn(hmm, dtype=torch.float64) -> ExactForwardRNN:
    """The RNN of Proposition 6 with phi = identity for ``hmm`` (a :class:`probrnn.HMM`).

    Its ``predict_proba(obs)`` equals ``hmm.filter(obs)`` to about 1e-15 in float64.
    """
    check_hmm(hmm)
    return ExactForwardRNN(hmm.startprob, hmm.transmat, hmm.emissionprob, dtype=dtype).eval()
