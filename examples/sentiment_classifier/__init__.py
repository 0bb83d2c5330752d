"""Example model for promobot: a small TF-IDF + logistic regression review classifier."""
