"""The headless core: the neutral model, the Source protocol, the store and the poll loop.

Never imports Textual, httpx or the UI (an import-linter contract in ``make test`` checks).
"""
