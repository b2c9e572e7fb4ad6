"""Optional first-route sources (VROOM, PyVRP), each behind its own module."""
