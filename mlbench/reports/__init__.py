"""Renderers of stored runs: console (rich), csv; each reads records, never re-runs anything."""
