"""`python -m bokflyt` runs the CLI."""

from bokflyt.cli import main

main()
