"""Figure: `angelctl whoami --json` against the sandbox vs a minimal requests script making
the same getProfile call (target: ratio of medians ≤ 1.5).

Both are measured as fresh processes against one sandbox on loopback, with the same cached
session; runs alternate and are spaced 0.4 s apart so that neither the sandbox's nor angelctl's
getProfile limit (3/s) holds a call back.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _util import angelctl_cmd, describe, time_command

RUNS = 20
TARGET = 1.5

MINIMAL = """
import json, sys, requests
s = json.load(open(sys.argv[1]))
r = requests.get(sys.argv[2] + "/rest/secure/angelbroking/user/v1/getProfile", headers={
    "Content-Type": "application/json", "Accept": "application/json", "X-UserType": "USER",
    "X-SourceID": "WEB", "X-ClientLocalIP": "127.0.0.1", "X-ClientPublicIP": "127.0.0.1",
    "X-MACAddress": "00:00:00:00:00:00", "X-PrivateKey": s["api_key"],
    "Authorization": "Bearer " + s["jwt"]}, timeout=10)
print(json.dumps(r.json()["data"]))
"""


def main() -> int:
    from angelctl.sandbox import SandboxConfig, SandboxServer

    with tempfile.TemporaryDirectory() as home, SandboxServer(SandboxConfig(port=0)) as server:
        env = {
            "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/c",
            "XDG_STATE_HOME": f"{home}/s",
            "XDG_CACHE_HOME": f"{home}/k",
        }
        cmd = angelctl_cmd()
        login = subprocess.run(
            [*cmd, "login", "--sandbox", "--url", server.rest_url, "--admin-token-stdin", "--json"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            input=server.admin_token,
        )
        if login.returncode:
            raise SystemExit(login.stderr)
        session_file = Path(home) / "s" / "angelctl" / "sessions" / "sandbox.json"
        minimal = [sys.executable, "-c", MINIMAL, str(session_file), server.rest_url]
        time_command([*cmd, "whoami", "--json"], 2, env, pause=0.4)
        time_command(minimal, 2, env, pause=0.4)
        ours: list[float] = []
        base: list[float] = []
        for _ in range(RUNS):  # interleaved, so machine load drifts hit both alike
            ours += time_command([*cmd, "whoami", "--json"], 1, env, pause=0.4)
            base += time_command(minimal, 1, env, pause=0.4)
        stats = server.engine.stats() if hasattr(server.engine, "stats") else {}
    print(describe("angelctl whoami --json", ours))
    print(describe("minimal requests script", base))
    ratio = statistics.median(ours) / statistics.median(base)
    print(
        f"ratio of medians: {ratio:.2f} (target <= {TARGET}) -> "
        f"{'ok' if ratio <= TARGET else 'FAIL'}"
    )
    if stats:
        print("sandbox stats:", json.dumps(stats)[:300])
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
