"""An RNN that reads real-valued observations: the continuous-state counterpart of
:class:`probrnn.StateRNN` (chapter *Continuous states*).

``RealInputRNN`` reads y_1..t (each a vector of ``input_size`` reals) through the same
recurrent core as every other RNN of the book (tanh, GRU, LSTM or a *linear* recurrence
h_t = W y_t + U h_{t-1} + b), and reads ``n_out`` numbers off h_t:

* ``loss="squared_error"``: a point estimate C h_t + c of the state x_t (trained on the squared
  error; the steady-state Kalman filter is such an RNN with the linear cell);
* ``loss="cross_entropy"``: logits over ``n_out`` bins of the state, softmax(C h_t + c) being a
  histogram estimate of p(x_t | y_1..t) (trained on the bin of the true state).

Trained by :func:`probrnn.training.fit_real_input_rnns`.
"""

from __future__ import annotations

import numpy as np
import torch

from ..threads import torch_threads
from ..validate import check_choice, check_float_array, check_int
from .cells import ReadoutRNN

LOSSES = ("squared_error", "cross_entropy")


class RealInputRNN(ReadoutRNN):
    """Real observations (B, T, input_size) -> outputs (B, T, n_out).

    Args:
        input_size: dimension of each observation y_t.
        n_out: outputs (state dimension for ``squared_error``, bins for ``cross_entropy``).
        hidden_size: k.
        cell: "rnn" (tanh), "linear", "gru" or "lstm".
        num_layers: stacked recurrent layers.
        seed: int, ``torch.Generator`` or None for the initial weights.
        loss: "squared_error" or "cross_entropy" (what the outputs mean; see the module).
    """

    def __init__(self, input_size: int, n_out: int, hidden_size: int, cell: str = "rnn",
                 num_layers: int = 1, seed=None, loss: str = "squared_error"):
        n_out = check_int(n_out, "n_out", minimum=1)
        self.loss = check_choice(loss, "loss", LOSSES)
        super().__init__(input_size, n_out, hidden_size, cell, num_layers, seed,
                         real_inputs=True)

    @property
    def input_size(self) -> int:
        return self.n_symbols

    def _check(self, obs):
        arr = check_float_array(obs, "obs", (2, 3))
        single = arr.ndim == 2
        arr = arr[None] if single else arr
        if arr.shape[-1] != self.input_size:
            raise ValueError(f"obs must have input_size = {self.input_size} values per step "
                             f"(got shape {arr.shape[1:] if not single else arr.shape[1:]})")
        return arr, single

    def _run(self, obs, what: str, chunk: int = 4096) -> np.ndarray:
        arr, single = self._check(obs)
        outs = []
        was_training = self.training
        self.eval()
        with torch.no_grad(), torch_threads(1):
            for start in range(0, arr.shape[0], chunk):
                x = torch.as_tensor(arr[start:start + chunk], device=self.device)
                hidden, _ = self.core(x)  # (b, T, k)
                out = hidden if what == "hidden" else self.head(hidden).double()
                if what == "proba":
                    out = torch.softmax(out, dim=-1)
                outs.append(out.double().cpu().numpy())
        self.train(was_training)
        res = np.concatenate(outs, axis=0)
        return res[0] if single else res

    def predict(self, obs) -> np.ndarray:
        """The outputs C h_t + c: (n, T, input_size) -> (n, T, n_out); (T, d) -> (T, n_out)."""
        return self._run(obs, "out")

    def predict_proba(self, obs) -> np.ndarray:
        """softmax(C h_t + c), the binned posterior of a ``cross_entropy`` model."""
        if self.loss != "cross_entropy":
            raise ValueError("predict_proba needs a model trained with loss='cross_entropy'; "
                             "this one outputs point estimates: use predict")
        return self._run(obs, "proba")

    def hidden_states(self, obs) -> np.ndarray:
        """The last layer's hidden units h_t: (n, T, d) -> (n, T, k)."""
        return self._run(obs, "hidden")
