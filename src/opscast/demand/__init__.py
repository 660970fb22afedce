"""Store-item demand (seed 3): pipeline stages, the global model, /predict, retraining."""
