"""Pure domain rules: editions as data, windows, categories, measures, codes, ID numbers. No I/O."""
