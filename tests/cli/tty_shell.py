"""An interactive shell in a real pseudo-terminal, read through a VT100 screen model (pyte), for
tests that press Tab the way a person does.

``Shell.tab(text)`` types ``text``, presses Tab (twice for the list of candidates), then a key
bound to print the line being edited between markers; the marker is the synchronisation (the
shell handles keys in order, so when it appears the completion has finished), not a sleep.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from fcntl import ioctl
from pathlib import Path

import pyte

_MARK = re.compile(rb"<<LINE:(.*?):LINE>>")


class Shell:
    def __init__(
        self, script: Path, path: str, cwd: Path, columns: int = 120, rows: int = 40
    ) -> None:
        master, slave = pty.openpty()
        ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {**os.environ, "PATH": path, "TERM": "xterm", "PS1": "$ ", "INPUTRC": "/dev/null"}
        env.pop("PROMPT_COMMAND", None)
        self.proc = subprocess.Popen(
            ["bash", "--norc", "--noprofile", "-i"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        os.close(slave)
        self.fd = master
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = b""
        self.marks = 0
        self.run(
            f"source {script}; bind 'set bell-style none'; "
            f'bind -x \'"\\C-t": printf "<<LINE:%s:LINE>>\\n" "$READLINE_LINE"\''
        )

    def _read_until(self, done: re.Pattern[bytes], count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(done.findall(self.raw)) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {done.pattern!r} in {self.raw[-2000:]!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 65536)
                self.raw += chunk
                self.stream.feed(chunk)

    def run(self, command: str) -> None:
        """Run ``command`` and wait until it has finished (a marker it prints last)."""
        self.marks += 1
        os.write(self.fd, f"{command}; echo DONE{self.marks}''\n".encode())
        self._read_until(re.compile(rb"DONE" + str(self.marks).encode() + rb"\r?\n"), 1)

    def tab(self, text: str, presses: int = 1) -> tuple[str, list[str]]:
        """Type ``text`` and press Tab ``presses`` times: (the edited line afterwards, the
        screen lines printed between typing and the marker — bash's list of candidates)."""
        before = len(_MARK.findall(self.raw))
        start = len(self.raw)
        os.write(self.fd, text.encode() + b"\t" * presses + b"\x14")
        self._read_until(_MARK, before + 1)
        line = _MARK.findall(self.raw)[before].decode()
        shown = self.raw[start:].decode(errors="replace")
        os.write(self.fd, b"\x15")  # Ctrl-U: an empty line for the next case
        return line, shown.split("\r\n")

    def display(self) -> list[str]:
        return [row.rstrip() for row in self.screen.display]

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        os.close(self.fd)
