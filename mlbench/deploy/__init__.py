"""Deployability: export formats, fresh-process scoring, the transparent score, serving."""
