"""Jira webhooks: a change reaches its pair in seconds; polling stays on as the safety net.

* :mod:`.signature`: the HMAC-SHA256 ``X-Hub-Signature`` Jira sends for a webhook with a secret;
* :mod:`.events`: what a delivery names (project keys, issue ids), Cloud and Data Center shapes;
* :mod:`.routing`: which pairs a delivery concerns;
* :mod:`.coalesce`: bursts and events during a cycle become one cycle (pure);
* :mod:`.receiver`: ``POST /webhook`` on the supervisor's health port;
* :mod:`.hub`: the supervisor's side: coalescers, timers, nudges to workers;
* :mod:`.admin` and :mod:`.cli`: ``jirasync webhooks register|unregister|list``.

A delivery is never trusted for a write: it only makes the pair's worker run a cycle now,
and the cycle reads Jira as every poll does.
"""
