"""Integrations: events published to integrators' webhook subscriptions."""
