"""bokflyt: one catalogue and one book van for Bærum's public and school libraries.

This package only composes the domain packages (`catalog`, `transport`, `adapters`) into the
command line and the web app; it holds settings, the database session factory and migrations.
"""

__version__ = "0.1.0"
