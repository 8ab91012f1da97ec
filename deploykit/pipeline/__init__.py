"""The pipeline runner (not built yet): pipeline file model, stage runner, gates and promotion evidence.

Reserved by DESIGN.md's layering (`cli -> pipeline -> release -> ...`) so the
import contracts hold from the start; it holds no code until its issue lands.
"""
