"""MLflow: the gateway (the Registry port), the execution mutex, calls at once and webhook
management. The only package that imports mlflow."""
