"""The doors: Slack, GitHub and CI registration. Each turns its input into a command and
the core's Result into its own format; none holds rules or state of its own."""
