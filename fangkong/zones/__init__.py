"""Sealed / controlled / precaution zones, the risk-area list, lifting."""
