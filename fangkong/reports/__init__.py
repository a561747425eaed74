"""Daily bulletin (通报), statistics and exports."""
