"""GitHub's REST API: every call promobot makes to GitHub goes through this package."""
