"""What goes out: notifiers subscribe to the service's events (bot/core/events.py).

slack.py               keeps the Slack message that shows a request in step with the request
slack_announce.py      posts each model's requests, promotions, drift and new versions' cards
                       in its Slack channel
github_verification.py tells GitHub of a failed verification: a comment on the pull
                       request it was promoted from, a `failure` status on its deployment
"""
