"""Mass testing: rounds, sampling points, pooled tubes, labs, results, re-tests, environmental samples."""
