"""What goes out: notifiers subscribe to the service's events (bot/core/events.py).

slack.py                 the one owner of a request's Slack message: posts it where the
                         request was asked, then updates it until it is decided
slack_announce.py        posts promotions carried out, drift, new versions' cards and
                         verifications in Slack
github_verification.py   tells GitHub of a failed verification: a comment on the pull
                         request it was promoted from, a `failure` status on its deployment
"""
