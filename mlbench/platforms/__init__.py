"""mlbench's built-in platform adapters, one module per platform; each imports its platform lazily."""
