"""Running work: the local executor, supervision of long-running tasks, and (later) Ray."""
