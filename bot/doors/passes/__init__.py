"""The scheduled passes of `promobot serve`: expiry, the drift audit, verification. Each pass is
one call into the service."""
