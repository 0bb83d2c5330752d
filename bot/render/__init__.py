"""Results and events → words for each channel: plain text and GitHub Markdown (message.py), Slack
Block Kit (slack_blocks.py), cards, verification outcomes and CI summaries."""
