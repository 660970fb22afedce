"""An LSTM that learns what a statistical baseline leaves over: the hybrid's neural variant.

Seed 5's "LSTM (Hybrid)" puts a recurrent network on the residuals of a seasonal
baseline: the baseline carries the cycles and the trend, the network the short-lived
structure after a burst or an outage, which it can follow over a longer stretch of
recent values than a few tree lags. It is one small LSTM shared by every series (a
global model, like the gradient-boosted learners), trained on standardised windows of
each series' residuals and forecasting recursively, one step at a time.

torch is an optional extra (``opscast[neural]``) and is imported only here, when a model
is fitted or first used. The fitted weights are kept as numpy arrays, so a pickled model
(what the registry stores) does not depend on torch's own serialisation; the network is
rebuilt from them on first use. Training is bounded (a sample of windows, fixed epochs,
one thread) so that fitting in a server or a retrain job costs seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.forecasting.protocol import ForecastingError

FloatArray = npt.NDArray[np.float64]
INSTALL_HINT = "the LSTM residual learner needs torch: pip install 'opscast[neural]'"
# Below this many windows a network learns nothing the baseline did not already know.
MIN_WINDOWS = 32
# A standard deviation below this means the series is flat; it is scaled by 1 instead.
MIN_SCALE = 1e-9


def torch_module() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ForecastingError(INSTALL_HINT) from exc
    return torch


@cache
def neural_available() -> bool:
    """Whether the optional extra is installed, without importing torch (asked per request)."""
    from importlib.util import find_spec

    return find_spec("torch") is not None


@contextmanager
def one_thread(torch: Any) -> Iterator[None]:
    """Run torch on one thread: a network this small gains nothing from more, and on a
    machine busy serving requests its threads' spin-waits cost more than the work."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@dataclass(frozen=True, slots=True)
class LSTMConfig:
    lookback: int = 48
    hidden: int = 32
    epochs: int = 12
    batch_size: int = 256
    learning_rate: float = 5e-3
    max_windows: int = 8000
    seed: int = 0


def _network(torch: Any, hidden: int) -> Any:
    class ResidualLSTM(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(input_size=1, hidden_size=hidden, batch_first=True)
            self.head = torch.nn.Linear(hidden, 1)

        def forward(self, x: Any) -> Any:
            out, _ = self.lstm(x)
            return self.head(out[:, -1, :]).squeeze(-1)

    return ResidualLSTM()


def _standardise(values: FloatArray) -> tuple[FloatArray, float, float]:
    finite = values[np.isfinite(values)]
    centre = float(finite.mean()) if len(finite) else 0.0
    spread = float(finite.std()) if len(finite) else 1.0
    scale = spread if spread > MIN_SCALE else 1.0
    return np.nan_to_num((values - centre) / scale), centre, scale


class LSTMResidualLearner:
    """One LSTM over windows of many standardised series; forecasts h steps from any context."""

    def __init__(self, config: LSTMConfig | None = None) -> None:
        self.config = config or LSTMConfig()
        self.lookback = self.config.lookback
        self._state: dict[str, FloatArray] | None = None
        self._net: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config, "lookback": self.lookback, "_state": self._state}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.config = state["config"]
        self.lookback = state["lookback"]
        self._state = state["_state"]
        self._net = None

    def fit(self, series: Sequence[FloatArray]) -> Self:
        torch = torch_module()
        shortest = min(len(values) for values in series)
        self.lookback = max(2, min(self.config.lookback, shortest // 3))
        windows, targets = self._windows(series)
        if len(windows) < MIN_WINDOWS:
            raise ForecastingError(
                f"the LSTM residual learner needs at least {MIN_WINDOWS} training windows of "
                f"{self.lookback} points, got {len(windows)}; use the default hybrid"
            )
        rng = np.random.default_rng(self.config.seed)
        if len(windows) > self.config.max_windows:
            keep = rng.choice(len(windows), self.config.max_windows, replace=False)
            windows, targets = windows[keep], targets[keep]
        with one_thread(torch):
            torch.manual_seed(self.config.seed)
            net = _network(torch, self.config.hidden)
            optimiser = torch.optim.Adam(net.parameters(), lr=self.config.learning_rate)
            x = torch.from_numpy(windows.astype(np.float32)).unsqueeze(-1)
            y = torch.from_numpy(targets.astype(np.float32))
            for _ in range(self.config.epochs):
                order = torch.from_numpy(rng.permutation(len(x)))
                for start in range(0, len(x), self.config.batch_size):
                    batch = order[start : start + self.config.batch_size]
                    optimiser.zero_grad()
                    loss = torch.nn.functional.mse_loss(net(x[batch]), y[batch])
                    loss.backward()
                    optimiser.step()
        net.eval()
        self._state = {
            name: tensor.detach().numpy().astype(np.float64)
            for name, tensor in net.state_dict().items()
        }
        self._net = net
        return self

    def _windows(self, series: Sequence[FloatArray]) -> tuple[FloatArray, FloatArray]:
        width = self.lookback
        windows, targets = [], []
        for values in series:
            scaled, _, _ = _standardise(np.asarray(values, dtype=np.float64))
            if len(scaled) <= width:
                continue
            view = np.lib.stride_tricks.sliding_window_view(scaled, width + 1)
            windows.append(view[:, :width])
            targets.append(view[:, width])
        if not windows:
            return np.empty((0, width)), np.empty(0)
        return np.concatenate(windows), np.concatenate(targets)

    def _network(self) -> Any:
        if self._state is None:
            raise ForecastingError("fit the LSTM residual learner before forecasting")
        if self._net is None:
            torch = torch_module()
            net = _network(torch, self.config.hidden)
            weights = self._state.items()
            net.load_state_dict(
                {name: torch.from_numpy(array.astype(np.float32)) for name, array in weights}
            )
            net.eval()
            self._net = net
        return self._net

    def forecast(self, contexts: Sequence[FloatArray], h: int) -> FloatArray:
        """The next ``h`` values after each context, in the contexts' own units: (n, h)."""
        torch = torch_module()
        net = self._network()
        width = self.lookback
        recent = np.zeros((len(contexts), width))
        centres, scales = np.zeros(len(contexts)), np.ones(len(contexts))
        for row, values in enumerate(contexts):
            scaled, centres[row], scales[row] = _standardise(np.asarray(values, dtype=np.float64))
            tail = scaled[-width:]
            recent[row, width - len(tail) :] = tail
        steps = np.empty((len(contexts), h))
        with torch.no_grad(), one_thread(torch):
            window = torch.from_numpy(recent.astype(np.float32)).unsqueeze(-1)
            for step in range(h):
                following = net(window)
                steps[:, step] = following.numpy()
                window = torch.cat([window[:, 1:, :], following.reshape(-1, 1, 1)], dim=1)
        forecast: FloatArray = steps * scales[:, None] + centres[:, None]
        return forecast


def future_stamps(last: Any, freq: str | int, h: int) -> pd.Index:
    """The ``h`` steps after ``last`` on the series' grid (timestamps or integer steps)."""
    if isinstance(freq, int):
        return pd.Index(np.asarray(last) + freq * np.arange(1, h + 1))
    return pd.date_range(last, periods=h + 1, freq=freq)[1:]


class LSTMResidualForecaster:
    """The zoo's interface over the learner: fitted on many series, forecasts their next steps."""

    def __init__(self, name: str, *, freq: str | int, config: LSTMConfig | None = None) -> None:
        self.name = name
        self.freq = freq
        self.learner = LSTMResidualLearner(config)
        self._histories: dict[Any, pd.Series] = {}

    def fit(self, df: pd.DataFrame) -> Self:
        self._histories = {
            uid: pd.Series(group["y"].to_numpy(dtype=np.float64), index=group["ds"].to_numpy())
            for uid, group in df.sort_values(["unique_id", "ds"]).groupby("unique_id", sort=True)
        }
        self.learner.fit([history.to_numpy() for history in self._histories.values()])
        return self

    def predict(self, h: int) -> pd.DataFrame:
        if not self._histories:
            raise ForecastingError("fit the model before predicting")
        ids = list(self._histories)
        values = self.learner.forecast([self._histories[uid].to_numpy() for uid in ids], h)
        frames = [
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": future_stamps(self._histories[uid].index[-1], self.freq, h),
                    self.name: values[row],
                }
            )
            for row, uid in enumerate(ids)
        ]
        return pd.concat(frames, ignore_index=True)
