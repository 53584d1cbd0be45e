"""Performance SLA: samples written by tests, verdicts against `performance:` targets, summaries and charts."""
