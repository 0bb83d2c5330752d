"""The CLI doors beyond the command words: register, audit, deployments, verify, webhooks."""
