"""Tests of the loopback SmartAPI sandbox (``angelctl.sandbox``)."""
