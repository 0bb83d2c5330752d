"""Slack's home: everything promobot says to Slack's Web API goes through here.

    client.py        the Web API client, built from the settings (SLACK_BOT_TOKEN,
                     SLACK_API_URL)
    groups.py        a user group's members (`usergroups.users.list`), the Directory
                     port of bot/core/ports/directory.py for `slack-group:` entries
    conversation.py  where in Slack the command being handled was typed or clicked, so
                     that the notifiers post its outcome there (and tell the door they did)

The Slack door (bot/doors/slack/) answers the person who typed or clicked; the Slack
notifiers (bot/notifiers/slack*.py) post, update and remember what the channel sees.
"""
