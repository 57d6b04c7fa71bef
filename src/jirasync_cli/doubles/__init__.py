"""Stand-ins for the services jirasync talks to, for the demo and the tests (never production).

The Jira double is :mod:`jirasync_cli.emulator`; this package holds the embedded MongoDB and
the pair configs the tests and benchmarks run against the emulator.
"""
