"""Pure rules: plain data in, plain data out, no Django imports.

The same code checks a live case (fed from the database) and an imported case file,
and its tests run in milliseconds.
"""
