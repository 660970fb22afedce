"""The generated ticket sample."""

from __future__ import annotations

import pytest

from opscast.simulate.tickets import VOCABULARY, simulate_tickets


def test_deterministic_and_complete() -> None:
    first, again = simulate_tickets(300, seed=4), simulate_tickets(300, seed=4)
    assert first.equals(again)
    assert not first.equals(simulate_tickets(300, seed=5))
    assert list(first.columns) == ["title", "description", "classification", "impact", "urgency"]
    assert set(first["classification"]) == set(VOCABULARY)
    assert first["impact"].between(1, 3).all()
    assert first["urgency"].between(1, 3).all()
    assert (first["title"].str.len() > 0).all()


def test_without_noise_the_label_follows_the_words() -> None:
    frame = simulate_tickets(200, seed=1, label_noise=0.0)
    for title, label in zip(frame["title"], frame["classification"], strict=True):
        things, _ = VOCABULARY[label]
        assert any(title.startswith(thing) for thing in things)


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": 5, "label_noise": 1.0}])
def test_bad_arguments(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        simulate_tickets(**kwargs)  # type: ignore[arg-type]
