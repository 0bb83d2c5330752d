"""The Slack door: the bolt app, its modals, and `promobot serve` (HTTP or Socket Mode)."""
