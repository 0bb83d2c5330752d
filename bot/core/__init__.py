"""The pure core: commands (text → typed command), policy (YAML → rules → decisions), state
(promobot's tags, read and written by pure functions), service (the use cases), the ports the use
cases call, and what they return and report (results, events). Nothing here imports a door, a
notifier, an adapter or mlflow."""
