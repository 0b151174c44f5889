"""Kernel's invocations API: client, models, source."""
