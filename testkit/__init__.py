"""Test support shared by tests/ and bench/: what they build (stories, applications, files), how they read pages,
the servers they start, and the one free-port helper. It imports nothing from tests/ or bench/, and neither imports
the other (tests/project/test_imports.py)."""
