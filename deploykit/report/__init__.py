"""Stage reports (not built yet): report model, writers (JSON, JUnit XML, Markdown, dotenv), signing.

Reserved by DESIGN.md's layering (used by `pipeline` and `release`) so the
import contracts hold from the start; it holds no code until its issue lands.
"""
