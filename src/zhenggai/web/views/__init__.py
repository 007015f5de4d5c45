"""The staff pages, split by topic: tasks, rounds, imports, problems, measures, search, evidence."""
