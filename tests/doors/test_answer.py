"""An answer printed to a reader that stops early (`promobot … | head -1`): the exit
status is still the answer's, and no BrokenPipeError traceback follows on stderr
(bot/doors/answer.py)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from bot.doors.answer import Answer
from bot.doors.common import ExitCode
text = "\\n".join(f"line {n} " + "x" * 200 for n in range(5000))
sys.exit(Answer(ExitCode.REFUSED, {}, text).show(as_json=False))
"""


def test_a_reader_that_stops_early_gets_no_traceback_and_the_exit_status_stays() -> None:
    shown = subprocess.Popen(
        [sys.executable, "-c", CODE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert shown.stdout is not None and shown.stderr is not None
    first = shown.stdout.readline()
    shown.stdout.close()  # as `head -1` does
    err = shown.stderr.read()
    assert shown.wait(timeout=60) == 1
    assert first.startswith("line 0 ")
    assert "Traceback" not in err and "BrokenPipe" not in err
