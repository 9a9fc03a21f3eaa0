"""Performance models: pure numpy arithmetic on model shapes and hardware figures, no I/O."""
