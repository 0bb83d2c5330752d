"""What goes out: notifiers subscribe to the service's events (bot/core/events.py).

slack.py               keeps the Slack message that shows a request in step with the request
slack_announce.py      posts each model's requests, promotions, drift and new versions' cards
                       in its Slack channel
github_deployments.py  records every promotion of a GitHub commit as a GitHub deployment
"""
