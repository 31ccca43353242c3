"""Identities: normalising handles, resolving them to one customer, merging customers."""
