"""One home per outside system, each implementing a port of bot/core/ports/: mlflow (the only code
that imports mlflow), github, slack, prometheus, directory."""
