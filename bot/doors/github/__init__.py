"""The GitHub pull-request comment door (`promobot github`)."""
