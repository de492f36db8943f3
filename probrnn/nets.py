"""Shared torch building blocks for the book's RNNs (chapters on RNNs as generative models and
as approximate forward algorithms).

* :func:`default_device` picks CUDA when present, else the CPU: every model is device-agnostic.
* :class:`RecurrentCore` maps symbol sequences (B, T) to hidden states (B, T, k) with the paper's
  simple tanh RNN, h_s = tanh(W x_s + U h_{s-1} + b) with x_s one-hot, or a GRU/LSTM.
* :func:`torch_generator` turns an int seed into an explicit ``torch.Generator`` (no global state).
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import check_int

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


def default_device() -> torch.device:
    """CUDA if available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def check_cell(cell) -> str:
    """The cell name, lower-cased, or a ValueError listing the valid ones."""
    if not isinstance(cell, str) or cell.lower() not in CELLS:
        raise ValueError(f"unknown cell {cell!r}: choose one of {sorted(CELLS)}")
    return cell.lower()


def torch_generator(seed: int, device=None) -> torch.Generator:
    """An explicit torch.Generator seeded with ``seed`` on ``device`` (default: CPU)."""
    seed = check_int(seed, "seed", minimum=0)
    gen = torch.Generator(device=device or "cpu")
    gen.manual_seed(seed)
    return gen


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
        self.rnn = CELLS[self.cell](**kwargs)

    def forward(self, obs: torch.Tensor, state=None):
        """obs (B, T) int64 -> (hidden (B, T, k), final state)."""
        x = nn.functional.one_hot(obs, self.n_symbols).to(self.rnn.weight_ih_l0.dtype)  # (B, T, K)
        return self.rnn(x, state)


class CoreSizes:
    """Size properties of a model whose recurrence is ``self.core``, a :class:`RecurrentCore`."""

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
