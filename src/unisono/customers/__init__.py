"""Customers: loading them for an operator, their profile and its history, search, timeline."""
