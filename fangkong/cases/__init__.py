"""Cases: suspected positives, re-checks, declared cases, their windows."""
