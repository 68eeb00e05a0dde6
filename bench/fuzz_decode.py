"""C2 fuzzing: atheris (libFuzzer, coverage-guided) against the WebSocket 2.0 decoder.

The property: for any byte string, ``angelctl.feed.decode.decode`` returns a tick or raises
``DecodeError`` — any other exception is a crash and stops the run with the input saved. Every
tick it returns must re-encode to the same bytes (decode is exact).

atheris lives only in this benchmark's own virtual environment
(``~/.cache/angelctl-bench/fuzz-venv``, created on first use from the package registry); the
decoder is imported from this checkout. Seeds are valid packets of every mode.

Usage: ``.venv/bin/python bench/fuzz_decode.py [--seconds 600]``; prints executions, executions
per second, crashes (target 0) and the corpus size.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = Path.home() / ".cache" / "angelctl-bench" / "fuzz-venv"

TARGET = r"""
import sys
import atheris

sys.path.insert(0, sys.argv.pop(1))
with atheris.instrument_imports(include=["angelctl.feed"]):
    from angelctl.feed.decode import DecodeError, decode
    from angelctl.feed.encode import encode


def one(data: bytes) -> None:
    try:
        tick = decode(data)
    except DecodeError:
        return
    if encode(tick) != data:
        raise AssertionError("decode accepted bytes that do not re-encode to themselves")


atheris.Setup(sys.argv, one)
atheris.Fuzz()
"""


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    check = subprocess.run([str(python), "-c", "import atheris"], capture_output=True)
    if check.returncode:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "atheris"], check=True)
    return python


def seeds(folder: Path) -> None:
    """One valid packet per mode, from the project's own encoder."""
    sys.path.insert(0, str(REPO))
    from angelctl.feed.encode import encode
    from angelctl.feed.ticks import DepthLevel, DepthTick, LtpTick, QuoteTick, SnapQuoteTick

    five = tuple(DepthLevel(10 * i, 100_00 + i, i) for i in range(1, 6))
    twenty = tuple(DepthLevel(i, 100_00 + i, i) for i in range(20))
    ticks = [
        LtpTick(1, 1, "2885", 1, 1737356263000, 131000),
        QuoteTick(
            2,
            2,
            "43650",
            2,
            1737356263000,
            2055000,
            75,
            2050000,
            1000,
            605175.0,
            4213.0,
            2055000,
            2060000,
            2040000,
            1838000,
        ),
        SnapQuoteTick(
            3,
            13,
            "1234",
            3,
            1737356263000,
            832500000,
            1,
            832400000,
            10,
            5.0,
            6.0,
            832000000,
            833000000,
            831000000,
            830000000,
            1737356261,
            5000,
            0.4687,
            five,
            five,
            900000000,
            700000000,
            900000000,
            0,
        ),
        DepthTick(1, "1594", 1737356263000, 1737356263000, twenty, twenty),
    ]
    for n, tick in enumerate(ticks):
        (folder / f"seed{n}").write_bytes(encode(tick))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=600)
    args = parser.parse_args()
    python = ensure_venv()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        seeds(corpus)
        target = Path(tmp) / "target.py"
        target.write_text(TARGET)
        proc = subprocess.run(
            [
                str(python),
                str(target),
                str(REPO),
                str(corpus),
                f"-max_total_time={args.seconds}",
                "-print_final_stats=1",
                f"-artifact_prefix={tmp}/",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        log = proc.stderr
        units = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
        rate = re.search(r"stat::average_exec_per_sec:\s*(\d+)", log)
        crashed = "==ERROR" in log or "Uncaught Python exception" in log or proc.returncode != 0
        size = len(list(corpus.iterdir()))
        print(
            f"C2 atheris: {args.seconds} s, executions {units.group(1) if units else '?'}, "
            f"{rate.group(1) if rate else '?'} exec/s, crashes {1 if crashed else 0}, "
            f"corpus {size} inputs"
        )
        if crashed:
            print(log[-3000:])
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
