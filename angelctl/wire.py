"""What the client and the sandbox agree on for the sandbox's admin routes, and nothing else.

A leaf (standard library only) so that ``broker.sandbox_admin`` (the client side) and
``sandbox.rest.http`` / ``sandbox.server`` (the server side) share the names without either
importing the other.

Invariant: an admin request goes to a path under ``ADMIN_PREFIX``, carries the sandbox's admin
token in ``ADMIN_HEADER``, and is JSON when its method is one of ``BODY_METHODS``.
"""

from __future__ import annotations

ADMIN_HEADER = "X-Sandbox-Admin"
ADMIN_PREFIX = "/_sandbox"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
