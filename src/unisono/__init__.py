"""Unisono: an omnichannel customer communication hub with one timeline per customer."""

__version__ = "0.1.0"
