"""An LSTM autoencoder over sliding windows: how badly a learned model rebuilds the
recent shape of a metric.

The network reads the last ``window`` values (scaled by the mean and spread of what it
learned from), squeezes them into ``hidden`` numbers and rebuilds the window from those
alone. Trained on a stretch of normal behaviour it rebuilds familiar shapes well and
unfamiliar ones badly, so the mean squared error of the rebuilt window is the raw
score; Numenta's anomaly likelihood turns it into [0, 1] as for the Isolation Forest.
Like the forest it learns from ``fit(history)`` or from the first ``train_size``
points it scores, which report 0 (NAB's probation); the model is then fixed, so the
scores stay causal.

torch is an optional extra (``opscast[neural]``). Windows are scored in batches of a
fixed size, padded at the end, so a window's score does not depend on how many others
share its batch and a prefix scores exactly as the start of the whole series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from opscast.anomaly.features import FloatArray, as_values
from opscast.anomaly.likelihood import anomaly_likelihood
from opscast.anomaly.probation import model_for
from opscast.forecasting.lstm_residuals import neural_available, one_thread

INSTALL_HINT = "the lstm_autoencoder detector needs torch: pip install 'opscast[neural]'"
BATCH = 256
"""Windows per forward pass, the last batch padded to it."""


def require_torch() -> None:
    """Refuse, with what to install, where torch is absent."""
    if not neural_available():
        raise ValueError(INSTALL_HINT)


@dataclass
class _Fitted:
    network: Any
    centre: float
    scale: float


@dataclass
class LSTMAutoencoderDetector:
    """Reconstruction error of the last ``window`` points (module doc)."""

    window: int = 32
    hidden: int = 16
    train_size: int = 750
    epochs: int = 30
    learning_rate: float = 0.01
    seed: int = 0
    long: int = 2000
    threshold: float = 0.55
    name: str = "lstm_autoencoder"
    _fitted: _Fitted | None = field(default=None, init=False, repr=False)

    @property
    def context(self) -> int:
        return self.window + self.long

    def fit(self, history: npt.ArrayLike) -> Self:
        self._fitted = self._train(as_values(history))
        return self

    def _train(self, x: FloatArray) -> _Fitted:
        torch = _torch()
        centre = float(np.mean(x)) if len(x) else 0.0
        scale = float(np.std(x)) if len(x) else 1.0
        scale = max(scale, 1e-6 * abs(centre), 1e-9)
        windows = self._windows((x - centre) / scale)
        with one_thread(torch):
            torch.manual_seed(self.seed)
            network = _network(torch, self.hidden)
            optimiser = torch.optim.Adam(network.parameters(), lr=self.learning_rate)
            batches = torch.from_numpy(windows.astype(np.float32)).unsqueeze(-1)
            order = np.random.default_rng(self.seed)
            for _ in range(self.epochs):
                for batch in np.array_split(
                    order.permutation(len(batches)), max(1, len(batches) // 64)
                ):
                    chosen = batches[torch.from_numpy(batch)]
                    optimiser.zero_grad()
                    loss = torch.nn.functional.mse_loss(network(chosen), chosen)
                    loss.backward()
                    optimiser.step()
            network.eval()
        return _Fitted(network, centre, scale)

    def score(self, values: npt.ArrayLike, *, start: int = 0) -> FloatArray:
        x = as_values(values)
        scores = np.zeros(len(x))
        learned = model_for(x, self._fitted, self.train_size, self._train)
        if learned is None:
            return scores
        fitted, learning = learned
        raw = self._errors(fitted, (x - fitted.centre) / fitted.scale)[learning:]
        scores[learning:] = np.clip(anomaly_likelihood(raw, short=1, long=self.long), 0.0, 1.0)
        return scores

    def _windows(self, scaled: FloatArray) -> FloatArray:
        """The window ending at each point, the first value repeated before the start."""
        if not len(scaled):
            return np.empty((0, self.window))
        padded = np.concatenate((np.full(self.window - 1, scaled[0]), scaled))
        return np.lib.stride_tricks.sliding_window_view(padded, self.window)

    def _errors(self, fitted: _Fitted, scaled: FloatArray) -> FloatArray:
        """Mean squared error of each rebuilt window."""
        torch = _torch()
        windows = self._windows(scaled).astype(np.float32)
        errors = np.empty(len(windows))
        with one_thread(torch), torch.no_grad():
            for begin in range(0, len(windows), BATCH):
                part = windows[begin : begin + BATCH]
                batch = np.zeros((BATCH, self.window), dtype=np.float32)
                batch[: len(part)] = part
                tensor = torch.from_numpy(batch).unsqueeze(-1)
                rebuilt = fitted.network(tensor).squeeze(-1).numpy()[: len(part)]
                errors[begin : begin + len(part)] = np.mean((rebuilt - part) ** 2, axis=1)
        return errors


def _torch() -> Any:
    """torch, imported on first use: the extra is optional."""
    import torch

    return torch


def _network(torch: Any, hidden: int) -> Any:
    class WindowAutoencoder(torch.nn.Module):  # type: ignore[misc]
        """Encode the window into the last hidden state, decode it back step by step."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = torch.nn.LSTM(input_size=1, hidden_size=hidden, batch_first=True)
            self.decoder = torch.nn.LSTM(input_size=hidden, hidden_size=hidden, batch_first=True)
            self.head = torch.nn.Linear(hidden, 1)

        def forward(self, x: Any) -> Any:
            _, (state, _) = self.encoder(x)
            code = state[-1].unsqueeze(1).repeat(1, x.shape[1], 1)
            decoded, _ = self.decoder(code)
            return self.head(decoded)

    return WindowAutoencoder()
