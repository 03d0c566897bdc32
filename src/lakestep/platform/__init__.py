"""Where lakestep runs: the only package that knows about Sail or Databricks."""
