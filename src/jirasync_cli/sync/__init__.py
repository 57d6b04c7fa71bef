"""The sync engine: pure planning (rules, plan), then applying the plan, in cycles."""
