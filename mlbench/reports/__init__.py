"""Renderers of stored runs: console (rich), csv (long) and wide csv, html (+ svg plots), compare;
each reads records, never re-runs anything."""
