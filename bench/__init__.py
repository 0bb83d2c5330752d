"""promobot's benchmarks (issue #6): `python -m bench`, or `make bench`.

Figures, each a median of ratios of runs taken side by side in the same run:

1. overhead — promote, approve, rollback and status through the in-process Service
   against the raw floor (bench/floor.py), and their MLflow REST calls counted at the
   HTTP level (bench/rest_calls.py);
2. scale — the same on a 10,000-version model in a 1,000-model registry vs 10 versions;
3. slack — time to HTTP 200 of signed slash commands while MLflow is slowed to 500 ms;
4. coldstart — `promobot --help` and `promobot github` against `import mlflow`.

See bench/README.md for the harness and docs/performance.md for the results.
"""
