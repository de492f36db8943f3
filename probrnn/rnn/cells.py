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


class LinearRNN(nn.Module):
    """h_s = W x_s + U h_{s-1} + b: a recurrent layer without a nonlinearity (the steady-state
    Kalman filter of the continuous-state chapter is one). Same parameter names, shapes and
    call convention as ``nn.RNN(..., batch_first=True)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 batch_first: bool = True):
        super().__init__()
        if not batch_first:
            raise ValueError("LinearRNN is batch-first only")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        for layer in range(num_layers):
            fan_in = input_size if layer == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{layer}",
                                    nn.Parameter(torch.zeros(hidden_size, fan_in)))
            self.register_parameter(f"weight_hh_l{layer}",
                                    nn.Parameter(torch.zeros(hidden_size, hidden_size)))
            self.register_parameter(f"bias_ih_l{layer}", nn.Parameter(torch.zeros(hidden_size)))
            self.register_parameter(f"bias_hh_l{layer}", nn.Parameter(torch.zeros(hidden_size)))

    def forward(self, x: torch.Tensor, state=None):
        """x (B, T, in) -> (outputs of the last layer (B, T, k), final states (L, B, k))."""
        B, T, _ = x.shape
        finals = []
        for layer in range(self.num_layers):
            w_ih, w_hh = getattr(self, f"weight_ih_l{layer}"), getattr(self, f"weight_hh_l{layer}")
            bias = getattr(self, f"bias_ih_l{layer}") + getattr(self, f"bias_hh_l{layer}")
            pre = x @ w_ih.T + bias  # (B, T, k)
            h = x.new_zeros(B, self.hidden_size) if state is None else state[layer]
            outs = []
            for t in range(T):
                h = pre[:, t] + h @ w_hh.T
                outs.append(h)
            x = torch.stack(outs, dim=1)
            finals.append(h)
        return x, torch.stack(finals)


CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM, "linear": LinearRNN}
# gates per cell: tanh RNN 1, GRU 3 (r, z, n), LSTM 4 (i, f, g, o), in torch's order; linear 1
GATES = {"rnn": 1, "gru": 3, "lstm": 4, "linear": 1}


def check_cell(cell) -> str:
    """The cell name ("rnn", "gru", "lstm" or "linear"), or a ValueError listing them."""
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
                     num_layers: int, bidirectional: bool = False) -> list[tuple[int, ...]]:
    """Shapes of a :class:`ReadoutRNN`'s parameters in a fixed order: per layer w_ih (Gk, in),
    w_hh (Gk, k), b_ih (Gk,), b_hh (Gk,) (and, for a bidirectional RNN, the same four of the
    backward direction), then the read-out weight (n_out, k) (or (n_out, 2k)) and bias
    (n_out,)."""
    k, G = hidden_size, GATES[cell]
    directions = 2 if bidirectional else 1
    shapes = []
    for layer in range(num_layers):
        fan_in = n_symbols if layer == 0 else directions * k
        shapes += [(G * k, fan_in), (G * k, k), (G * k,), (G * k,)] * directions
    return shapes + [(n_out, directions * k), (n_out,)]


def n_parameters(n_symbols: int, n_out: int, hidden_size: int, cell: str = "rnn",
                 num_layers: int = 1, bidirectional: bool = False) -> int:
    """Free parameters of a :class:`ReadoutRNN` (torch's redundant bias pairs counted once).

    For the tanh RNN this is the paper's count K k + k^2 + k (W, U, b) plus n_out (k + 1) for
    the read-out. A GRU keeps its second bias for the candidate gate (it sits inside the reset
    product).
    """
    K, k = n_symbols, hidden_size
    cell = check_cell(cell)
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        fan_in = K if layer == 0 else directions * k
        total += directions * (GATES[cell] * k * (fan_in + k + 1) + (k if cell == "gru" else 0))
    return total + n_out * directions * k + n_out


class RecurrentCore(nn.Module):
    """Symbols (B, T) or real vectors (B, T, n_symbols) -> hidden states (B, T, k), for a tanh
    RNN, GRU, LSTM or linear recurrence.

    For ``cell="rnn"`` and one layer this is exactly h_s = tanh(W x_s + U h_{s-1} + b) with
    h_0 = 0, where x_s is the one-hot vector of the s-th symbol (torch's two biases add up to b),
    or, with ``real_inputs=True``, the s-th observation itself (``n_symbols`` is then its
    dimension).
    """

    def __init__(self, n_symbols: int, hidden_size: int, cell: str = "rnn", num_layers: int = 1,
                 real_inputs: bool = False, bidirectional: bool = False):
        super().__init__()
        self.real_inputs, self.bidirectional = bool(real_inputs), bool(bidirectional)
        self.n_symbols = check_int(n_symbols, "n_symbols", minimum=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
        self.num_layers = check_int(num_layers, "num_layers", minimum=1)
        self.cell = check_cell(cell)
        kwargs = dict(input_size=self.n_symbols, hidden_size=self.hidden_size,
                      num_layers=self.num_layers, batch_first=True)
        if self.cell == "rnn":
            kwargs["nonlinearity"] = "tanh"
        if self.bidirectional:
            if self.cell == "linear":
                raise ValueError("a bidirectional RNN needs cell 'rnn', 'gru' or 'lstm'")
            kwargs["bidirectional"] = True
        with torch.random.fork_rng(devices=[]):  # torch's own init draws from the global RNG
            self.rnn = CELLS[self.cell](**kwargs)

    def forward(self, obs: torch.Tensor, state=None):
        """obs (B, T) int64 (or (B, T, d) real) -> (hidden (B, T, k), final state)."""
        dtype = self.rnn.weight_ih_l0.dtype
        if self.real_inputs:
            x = obs.to(dtype)  # (B, T, d)
        else:
            x = nn.functional.one_hot(obs, self.n_symbols).to(dtype)  # (B, T, K)
        return self.rnn(x, state)


class ReadoutRNN(nn.Module):
    """A :class:`RecurrentCore` and a linear read-out to ``n_out`` logits, its weights drawn
    from ``seed`` (see :func:`as_torch_generator`)."""

    def __init__(self, n_symbols: int, n_out: int, hidden_size: int, cell: str = "rnn",
                 num_layers: int = 1, seed=None, real_inputs: bool = False,
                 bidirectional: bool = False):
        super().__init__()
        self.core = RecurrentCore(n_symbols, hidden_size, cell, num_layers, real_inputs,
                                  bidirectional)
        directions = 2 if self.core.bidirectional else 1
        with torch.random.fork_rng(devices=[]):
            self.head = nn.Linear(directions * self.core.hidden_size, n_out)
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
    def bidirectional(self) -> bool:
        """Whether the hidden state at t also reads x_t..x_T (backwards)."""
        return self.core.bidirectional

    @property
    def n_out(self) -> int:
        """Number of logits of the read-out."""
        return self.head.out_features

    @property
    def n_params(self) -> int:
        """Free parameters (see :func:`n_parameters`)."""
        return n_parameters(self.n_symbols, self.n_out, self.hidden_size, self.cell,
                            self.num_layers, self.bidirectional)

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def _shapes(self):
        return parameter_shapes(self.n_symbols, self.n_out, self.hidden_size, self.cell,
                                self.num_layers, self.bidirectional)

    def weights(self) -> list[torch.Tensor]:
        """The parameters in the order of :func:`parameter_shapes`."""
        rnn, out = self.core.rnn, []
        suffixes = ("", "_reverse") if self.bidirectional else ("",)
        for layer in range(self.num_layers):
            for suffix in suffixes:
                out += [getattr(rnn, f"{name}_l{layer}{suffix}")
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
