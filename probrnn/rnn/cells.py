"""The recurrent cell shared by every RNN of the book, and the read-out on top of it.

* :class:`RecurrentCore` maps symbol sequences (B, T) to hidden states (B, T, k) with the paper's
  simple tanh RNN, h_s = tanh(W x_s + U h_{s-1} + b) with x_s one-hot, or a GRU/LSTM.
* :class:`ReadoutRNN` is a core plus a linear read-out to ``n_out`` logits: the state-predicting
  RNN of chapter 3 (:class:`probrnn.StateRNN`, n_out = m) and the next-symbol RNN of chapter 2
  (:class:`probrnn.SequenceRNN`, n_out = K) are both one.
* :func:`as_torch_generator` turns a seed into an explicit ``torch.Generator``: initial weights
  are drawn from it, never from torch's global generator.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..validate import check_choice, check_int, check_seed

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
# gates per cell: tanh RNN 1, GRU 3 (r, z, n), LSTM 4 (i, f, g, o), in torch's order
GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def check_cell(cell) -> str:
    """The cell name ("rnn", "gru" or "lstm"), or a ValueError listing the valid ones."""
    if isinstance(cell, str):
        cell = cell.lower()
    return check_choice(cell, "cell", sorted(CELLS))


def as_torch_generator(seed, device=None) -> torch.Generator:
    """An explicit ``torch.Generator``: ``seed`` a non-negative int, a Generator (returned as
    it is) or None (fresh entropy from the operating system, never torch's global state)."""
    if isinstance(seed, torch.Generator):
        return seed
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    gen = torch.Generator(device=device or "cpu")
    gen.manual_seed(check_seed(seed))
    return gen


def init_weights(gen: torch.Generator, shapes, hidden_size: int, dtype) -> list[torch.Tensor]:
    """Weights uniform on (-1/sqrt(k), 1/sqrt(k)) (torch's default scale for a recurrent layer
    and a read-out with fan-in k), drawn from ``gen`` in the order of ``shapes``."""
    bound = 1.0 / math.sqrt(hidden_size)
    return [(torch.rand(s, generator=gen, dtype=torch.float64) * 2 - 1).mul_(bound).to(dtype)
            for s in shapes]


def parameter_shapes(n_symbols: int, n_out: int, hidden_size: int, cell: str,
                     num_layers: int) -> list[tuple[int, ...]]:
    """Shapes of a :class:`ReadoutRNN`'s parameters in a fixed order: per layer w_ih (Gk, in),
    w_hh (Gk, k), b_ih (Gk,), b_hh (Gk,), then the read-out weight (n_out, k) and bias
    (n_out,)."""
    k, G = hidden_size, GATES[cell]
    shapes = []
    for layer in range(num_layers):
        fan_in = n_symbols if layer == 0 else k
        shapes += [(G * k, fan_in), (G * k, k), (G * k,), (G * k,)]
    return shapes + [(n_out, k), (n_out,)]


def n_parameters(n_symbols: int, n_out: int, hidden_size: int, cell: str = "rnn",
                 num_layers: int = 1) -> int:
    """Free parameters of a :class:`ReadoutRNN` (torch's redundant bias pairs counted once).

    For the tanh RNN this is the paper's count K k + k^2 + k (W, U, b) plus n_out (k + 1) for
    the read-out. A GRU keeps its second bias for the candidate gate (it sits inside the reset
    product).
    """
    K, k = n_symbols, hidden_size
    cell = check_cell(cell)
    total = 0
    for layer in range(num_layers):
        fan_in = K if layer == 0 else k
        total += GATES[cell] * k * (fan_in + k + 1) + (k if cell == "gru" else 0)
    return total + n_out * k + n_out


class RecurrentCore(nn.Module):
    """One-hot symbols (B, T) -> hidden states (B, T, k), for a tanh RNN, GRU or LSTM.

    For ``cell="rnn"`` and one layer this is exactly h_s = tanh(W x_s + U h_{s-1} + b) with
    h_0 = 0, where x_s is the one-hot vector of the s-th symbol (torch's two biases add up to b).
    """

    def __init__(self, n_symbols: int, hidden_size: int, cell: str = "rnn", num_layers: int = 1):
        super().__init__()
        self.n_symbols = check_int(n_symbols, "n_symbols", minimum=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
        self.num_layers = check_int(num_layers, "num_layers", minimum=1)
        self.cell = check_cell(cell)
        kwargs = dict(input_size=self.n_symbols, hidden_size=self.hidden_size,
                      num_layers=self.num_layers, batch_first=True)
        if self.cell == "rnn":
            kwargs["nonlinearity"] = "tanh"
        with torch.random.fork_rng(devices=[]):  # torch's own init draws from the global RNG
            self.rnn = CELLS[self.cell](**kwargs)

    def forward(self, obs: torch.Tensor, state=None):
        """obs (B, T) int64 -> (hidden (B, T, k), final state)."""
        x = nn.functional.one_hot(obs, self.n_symbols).to(self.rnn.weight_ih_l0.dtype)  # (B, T, K)
        return self.rnn(x, state)


class ReadoutRNN(nn.Module):
    """A :class:`RecurrentCore` and a linear read-out to ``n_out`` logits, its weights drawn
    from ``seed`` (see :func:`as_torch_generator`)."""

    def __init__(self, n_symbols: int, n_out: int, hidden_size: int, cell: str = "rnn",
                 num_layers: int = 1, seed=None):
        super().__init__()
        self.core = RecurrentCore(n_symbols, hidden_size, cell, num_layers)
        with torch.random.fork_rng(devices=[]):
            self.head = nn.Linear(self.core.hidden_size, n_out)
        self.set_weights(init_weights(as_torch_generator(seed), self._shapes(),
                                      self.hidden_size, torch.float32))

    # -------------------------------------------------------------- sizes
    @property
    def n_symbols(self) -> int:
        """K, the number of input symbols."""
        return self.core.n_symbols

    @property
    def hidden_size(self) -> int:
        """k, the number of hidden units per layer."""
        return self.core.hidden_size

    @property
    def cell(self) -> str:
        """"rnn", "gru" or "lstm"."""
        return self.core.cell

    @property
    def num_layers(self) -> int:
        """Stacked recurrent layers."""
        return self.core.num_layers

    @property
    def n_out(self) -> int:
        """Number of logits of the read-out."""
        return self.head.out_features

    @property
    def n_params(self) -> int:
        """Free parameters (see :func:`n_parameters`)."""
        return n_parameters(self.n_symbols, self.n_out, self.hidden_size, self.cell,
                            self.num_layers)

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def _shapes(self):
        return parameter_shapes(self.n_symbols, self.n_out, self.hidden_size, self.cell,
                                self.num_layers)

    def weights(self) -> list[torch.Tensor]:
        """The parameters in the order of :func:`parameter_shapes`."""
        rnn, out = self.core.rnn, []
        for layer in range(self.num_layers):
            out += [getattr(rnn, f"{name}_l{layer}")
                    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        return out + [self.head.weight, self.head.bias]

    def set_weights(self, tensors) -> ReadoutRNN:
        """Copy ``tensors`` (in the order of :func:`parameter_shapes`) into the parameters."""
        with torch.no_grad():
            for p, t in zip(self.weights(), tensors, strict=True):
                p.copy_(t.to(p.dtype))
        return self

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """obs (B, T) int64 -> logits (B, T, n_out)."""
        hidden, _ = self.core(obs)  # (B, T, k)
        return self.head(hidden)
