"""The Energia Chiara demo: deterministic Italian customers, operators and conversations."""
