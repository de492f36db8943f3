"""An RNN that reads observations and outputs a distribution over an HMM's hidden states.

Chapter 3, *RNNs as approximations of the forward algorithm* (the paper's 3.2 and 4.1).
``StateRNN`` is the paper's inference network: h_s = f(h_{s-1}, x_s) with h_0 = 0, then logits
over the m hidden states, C h_t + c, so softmax(C h_t + c) estimates p(H_t | x_1..t). Trained
by :func:`probrnn.fit_state_rnn`.
"""

from __future__ import annotations

import numpy as np
import torch

from ..threads import torch_threads
from ..validate import check_int, check_obs
from .cells import ReadoutRNN, n_parameters


def state_rnn_n_params(n_symbols: int, n_states: int, hidden_size: int, cell: str = "rnn",
                       num_layers: int = 1, bidirectional: bool = False) -> int:
    """Free parameters of a :class:`StateRNN`: the paper's K k + k^2 + k (W, U, b) plus
    m k + m for the read-out, for the tanh RNN (twice the recurrent ones and a read-out from
    2k units for a bidirectional one)."""
    return n_parameters(n_symbols, n_states, hidden_size, cell, num_layers, bidirectional)


class StateRNN(ReadoutRNN):
    """Observations (B, T) int64 -> logits over hidden states (B, T, m).

    Args:
        n_symbols: K, the number of observation symbols.
        n_states: m, the number of hidden states of the HMM whose states it predicts.
        hidden_size: k, the number of hidden units (the paper's "k-RNN").
        cell: "rnn" (the paper's tanh RNN), "gru" or "lstm".
        num_layers: stacked recurrent layers (1 in all the book's experiments).
        seed: int, ``torch.Generator`` or None (fresh entropy) for the initial weights, each
            uniform on (-1/sqrt(k), 1/sqrt(k)); torch's global generator is never used.
        bidirectional: read the whole sequence: h_t joins a forward pass over x_1..t and a
            backward pass over x_T..t, so the output estimates p(H_t | x_1..T), the smoother
            (chapter *Smoothing*), instead of the filter.
    """

    def __init__(self, n_symbols: int, n_states: int, hidden_size: int, cell: str = "rnn",
                 num_layers: int = 1, seed=None, bidirectional: bool = False):
        n_states = check_int(n_states, "n_states", minimum=1)
        super().__init__(n_symbols, n_states, hidden_size, cell, num_layers, seed,
                         bidirectional=bidirectional)

    @property
    def n_states(self) -> int:
        """m, the number of hidden states predicted."""
        return self.n_out

    # ------------------------------------------------------------------ numpy interface
    def _run(self, obs, what: str, chunk: int = 4096) -> np.ndarray:
        arr, single = check_obs(obs, self.n_symbols)
        outs = []
        was_training = self.training
        self.eval()
        with torch.no_grad(), torch_threads(1):
            for start in range(0, arr.shape[0], chunk):
                x = torch.as_tensor(arr[start:start + chunk], device=self.device)
                hidden, _ = self.core(x)  # (b, T, k)
                if what == "hidden":
                    out = hidden
                else:
                    out = torch.log_softmax(self.head(hidden).double(), dim=-1)
                    if what == "proba":
                        out = out.exp()
                outs.append(out.double().cpu().numpy())
        self.train(was_training)
        res = np.concatenate(outs, axis=0)
        return res[0] if single else res

    def predict_proba(self, obs) -> np.ndarray:
        """p_RNN(H_t | x_1..t): (n, T) -> (n, T, m) float64; a single (T,) sequence -> (T, m)."""
        return self._run(obs, "proba")

    def predict_log_proba(self, obs) -> np.ndarray:
        """log p_RNN(H_t | x_1..t), computed stably: (n, T) -> (n, T, m)."""
        return self._run(obs, "log_proba")

    def hidden_states(self, obs) -> np.ndarray:
        """The last layer's hidden units h_t: (n, T) -> (n, T, k) float64 (for probes);
        (n, T, 2k), forward then backward units, for a bidirectional RNN."""
        return self._run(obs, "hidden")


def untrained_state_rnn(n_symbols: int, n_states: int, hidden_size: int, cell: str = "rnn",
                        seed: int = 0, num_layers: int = 1) -> StateRNN:
    """A :class:`StateRNN` with its random initial weights drawn from ``seed``: the baseline
    of chapter 3's probe (what do random hidden units already tell about the beliefs?).
    The same as ``StateRNN(n_symbols, n_states, hidden_size, cell, num_layers, seed=seed)``."""
    return StateRNN(n_symbols, n_states, hidden_size, cell, num_layers, seed=seed).eval()
