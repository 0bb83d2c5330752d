"""`promobot … | true`: the command run with a reader that is gone before it writes a
word, as `| head -1` leaves it; what the command exits with and says on stderr."""

from __future__ import annotations

import subprocess
import sys


def cut_off(args: str, env: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, str]:
    """(promobot's exit status, its stderr) for `promobot ARGS | true`."""
    done = subprocess.run(
        f"{sys.executable} -m bot {args} | true; echo ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
        env=env,
    )
    return int(done.stdout.strip()), done.stderr
