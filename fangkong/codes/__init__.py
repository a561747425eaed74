"""Health codes (derived, never typed in), venue-code scans, two-code checks."""
