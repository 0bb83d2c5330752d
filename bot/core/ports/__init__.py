"""The ports: exactly the calls the core makes on the outside world, and the values that cross
them. Each is implemented by one adapter in bot/adapters/."""
