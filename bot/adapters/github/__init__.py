"""GitHub: every call promobot makes to GitHub goes through this package, over PyGithub.

    client.py       the one client: PyGithub built once per token and API URL, a short
                    timeout, no retries, every failure a GitHubError with a sentence
    checks.py       CommitChecks: the check runs and statuses of a commit
    deployments.py  DeploymentSender: a deployment and its statuses
    comments.py     PullRequests: the comment door's permission, reactions, reply, head
    teams.py        the directory's `github-team:` lookups

The ports are in bot/core/ports/github.py (and the directory's in
bot/core/ports/directory.py); bot/app.py builds the client from the settings and wires
each adapter in.
"""
