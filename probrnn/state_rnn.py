"""An RNN that reads observations and outputs a distribution over an HMM's hidden states.

Introduced in the chapter *RNNs as approximations of the forward algorithm* (the paper's 3.2
and 4.1). ``StateRNN`` is the paper's inference network: h_s = f(h_{s-1}, x_s) with h_0 = 0,
then logits over the m hidden states, V h_t + c, so softmax(V h_t + c) estimates
p(H_t | x_1..t). Trained by :func:`probrnn.rnn.fit_state_rnn`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._validate import check_int, check_obs
from .nets import CoreSizes, RecurrentCore, check_cell
from .threads import torch_threads

# gates per cell: tanh RNN 1, GRU 3 (r, z, n), LSTM 4 (i, f, g, o), in torch's order
GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def state_rnn_n_params(n_symbols: int, n_states: int, hidden_size: int, cell: str = "rnn",
                       num_layers: int = 1) -> int:
    """Free parameters of a :class:`StateRNN` (torch's redundant bias pairs counted once).

    For the tanh RNN this is the paper's count K k + k^2 + k (W, U, b) plus m k + m (V, c).
    A GRU keeps its second bias for the candidate gate (it sits inside the reset product).
    """
    K, m, k = n_symbols, n_states, hidden_size
    cell = check_cell(cell)
    gates = GATES[cell]
    total = 0
    for layer in range(num_layers):
        fan_in = K if layer == 0 else k
        total += gates * k * (fan_in + k + 1) + (k if cell == "gru" else 0)
    return total + m * k + m


class StateRNN(CoreSizes, nn.Module):
    """Observations (B, T) int64 -> logits over hidden states (B, T, m).

    Args:
        n_symbols: K, the number of observation symbols.
        n_states: m, the number of hidden states of the HMM whose states it predicts.
        hidden_size: k, the number of hidden units (the paper's "k-RNN").
        cell: "rnn" (the paper's tanh RNN), "gru" or "lstm".
        num_layers: stacked recurrent layers (1 in all the book's experiments).
    """

    def __init__(self, n_symbols: int, n_states: int, hidden_size: int, cell: str = "rnn",
                 num_layers: int = 1):
        super().__init__()
        self.n_states = check_int(n_states, "n_states", minimum=1)
        self.core = RecurrentCore(n_symbols, hidden_size, cell=cell, num_layers=num_layers)
        self.head = nn.Linear(self.core.hidden_size, self.n_states)

    @property
    def n_params(self) -> int:
        """Free parameters (see :func:`state_rnn_n_params`)."""
        return state_rnn_n_params(self.n_symbols, self.n_states, self.hidden_size, self.cell,
                                  self.num_layers)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """obs (B, T) int64 -> logits (B, T, m)."""
        hidden, _ = self.core(obs)  # (B, T, k)
        return self.head(hidden)  # (B, T, m)

    # ------------------------------------------------------------------ numpy interface
    def _run(self, obs, what: str, chunk: int = 4096) -> np.ndarray:
        arr, single = check_obs(obs, self.n_symbols)
        param = next(self.parameters())
        outs = []
        was_training = self.training
        self.eval()
        with torch.no_grad(), torch_threads(1):
            for start in range(0, arr.shape[0], chunk):
                x = torch.as_tensor(arr[start:start + chunk], device=param.device)
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
        """The last layer's hidden units h_t: (n, T) -> (n, T, k) float64 (for probes)."""
        return self._run(obs, "hidden")
