"""Channel adapters: one package per provider, all behind the small interface in ``base``.

An adapter never touches the database: it verifies a provider's request, parses it into neutral
inbound events, and sends neutral outbound messages through the provider's API.
"""
