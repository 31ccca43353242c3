"""Media: storing attachment bytes and fetching the ones providers hold."""
