"""Chaos suite: the supervisor, its workers and MongoDB under faults, kills and outages.

Every test is marked ``chaos``. The normal test command runs a reduced size (200 issues in
the storm, about 2.5 minutes for the whole suite on two cores); ``JIRASYNC_CHAOS_FULL=1``
runs the full size (1,000 issues and a 3-minute storm, about 6 minutes)::

    JIRASYNC_CHAOS_FULL=1 python3 tools/dev.py test tests/chaos

Scenarios: faults and worker kills (test_faults_and_kills), a MongoDB outage
(test_mongo_outage), the supervisor SIGKILLed mid-cycle (test_supervisor_kill), secrets in
every output (test_secrets). test_findings holds minimal deterministic reproductions of
what the storms found. On a failed invariant the message explains the first offending
issues: their Jira history and comments, snapshots, journal and audit entries.
"""
