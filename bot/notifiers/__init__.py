"""What goes out: notifiers subscribe to the service's events (bot/events.py).

slack.py               keeps the Slack message that shows a request in step with the request
github_deployments.py  records every promotion of a GitHub commit as a GitHub deployment
"""
