"""Command groups of the `bokflyt` CLI, one module per capability; `bokflyt.cli` registers them."""
