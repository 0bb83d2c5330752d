"""What deployment code imports from promobot: signed receipts checked before a model loads."""
