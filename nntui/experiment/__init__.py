"""An experiment: its config (presets, edits, variants), its runs, and what it is exported as."""
