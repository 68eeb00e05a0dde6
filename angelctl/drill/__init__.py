"""The kill-switch drill: rehearse ``angelctl killswitch`` on a saved scenario, on simulated time.

- ``scenario``  reads and checks a scenario file (TOML; docs/drills.md);
- ``clock``     the simulated clock the private sandbox and the kill share (``sleep`` advances);
- ``run``       seeds a running private sandbox through its admin API, runs the *real* kill
                procedure against it and judges the result from the sandbox's own books;
- ``report``    the drill's report (slippage, requests, verdict) as data.

Hosting the sandbox itself (building its config, the market source, starting the server) is the
shell's job (``cli.drill_host``): the client's core never imports the sandbox. Nothing here
touches the operator's profile, latch, journal or caches: every file lives in the folder the
caller gives (a temporary one).
"""
