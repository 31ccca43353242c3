"""The communication studio: templates, rendering per channel, previews, linting, approval."""
