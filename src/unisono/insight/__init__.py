"""Insight: metrics of the multichannel service."""
