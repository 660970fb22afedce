"""Store-item demand (seed 3): the pipeline stages, the global model, /predict and its retraining."""
