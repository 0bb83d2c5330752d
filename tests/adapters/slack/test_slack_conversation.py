"""Where in Slack the command being handled was typed or clicked
(bot/adapters/slack/conversation.py): known for the command's own thread while it runs,
told back what a notifier posted, and nowhere else."""

from __future__ import annotations

import threading

from bot.adapters.slack.conversation import Asked, asked_in, current


def test_outside_a_slack_command_there_is_no_conversation() -> None:
    assert current() is None


def test_a_command_knows_its_channel_and_hears_what_was_posted() -> None:
    with asked_in("C0RELEASES") as asked:
        here = current()
        assert here is asked and here == Asked("C0RELEASES")
        here.shown = {"channel": "C0RELEASES", "ts": "1.2"}  # as a notifier records it
    assert asked.shown == {"channel": "C0RELEASES", "ts": "1.2"}
    assert current() is None


def test_a_command_inside_another_gives_it_back_after() -> None:
    with asked_in("C1") as outer:
        with asked_in("C2") as inner:
            assert current() is inner
        assert current() is outer
    assert current() is None


def test_another_thread_does_not_see_this_threads_command() -> None:
    seen: list[Asked | None] = []
    with asked_in("C1"):
        worker = threading.Thread(target=lambda: seen.append(current()))
        worker.start()
        worker.join()
    assert seen == [None]


def test_a_failing_command_leaves_no_conversation_behind() -> None:
    try:
        with asked_in("C1"):
            raise RuntimeError("the command failed")
    except RuntimeError:
        pass
    assert current() is None
