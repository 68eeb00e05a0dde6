"""A resize never freezes a live view: the SIGWINCH handler runs in the main thread between
any two of its bytecodes, so it must not take a lock that thread may hold. With a
``threading.Event`` as the wake-up (``set`` takes the lock that ``wait`` and ``clear`` hold
for a few bytecodes), a resize landing there deadlocked the repaint loop for good."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# The signal is raised at every call made inside the wake-up's own methods (a profile hook),
# so the handler runs at each point where the repaint loop could be interrupted there.
EVERY_POINT = """
import io, signal, sys
from rich.console import Console
from angelctl.render.live import LiveScreen

console = Console(file=io.StringIO(), width=80, height=24, force_terminal=True)
inside, handling = [False], [False]

def resize_here(frame, event, arg):
    if inside[0] and not handling[0] and event in ("call", "c_call"):
        signal.raise_signal(signal.SIGWINCH)

with LiveScreen(console) as screen:
    installed = signal.getsignal(signal.SIGWINCH)

    def handler(signum, frame):  # LiveScreen's own, run without raising more signals
        handling[0] = True
        try:
            installed(signum, frame)
        finally:
            handling[0] = False

    signal.signal(signal.SIGWINCH, handler)
    sys.setprofile(resize_here)
    for _ in range(50):
        inside[0] = True
        screen.wake.clear()
        woken = screen.wake.wait(0)
        inside[0] = False
    sys.setprofile(None)
print("resizes", screen.resized > 50, "woken", woken)
"""


def test_a_resize_at_any_point_of_the_repaint_loops_wait_never_deadlocks() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", EVERY_POINT], capture_output=True, text=True, env=env, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["resizes", "True", "woken", "True"]


def test_the_wakeup_behaves_as_an_event() -> None:
    import threading

    from angelctl.render.live import Wakeup

    wake = Wakeup()
    assert not wake.is_set() and wake.wait(0) is False
    wake.set()
    wake.set()  # twice: still one flag
    assert wake.is_set() and wake.wait(5) is True and wake.is_set()  # wait does not clear it
    wake.clear()
    assert not wake.is_set()
    threading.Timer(0.05, wake.set).start()  # another thread sets it while this one waits
    assert wake.wait(10) is True
    wake.close()
    wake.set()  # after close: nothing happens, nothing is raised
    assert wake.wait(0) is False
