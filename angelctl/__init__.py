"""angelctl: command-line trading operations for Angel One SmartAPI.

Layers (data flows one way): ``cli`` -> core (``broker``, ``config``, ``secrets``) -> transport.
The CLI imports lazily so that ``angelctl --help`` pays for neither ``requests`` nor the sandbox.
"""

__version__ = "0.1.0"
