"""`promobot demo`: the whole story on a local SQLite registry, and the local Prometheus and
processes it starts."""
