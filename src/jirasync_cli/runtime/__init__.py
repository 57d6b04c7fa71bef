"""Running pairs: the supervisor, its workers, the pipe between them, timing and wiring."""
