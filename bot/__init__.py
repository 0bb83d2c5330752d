"""promobot: release management for MLflow models, run from chat."""

__version__ = "0.1.0"
