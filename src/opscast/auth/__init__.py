"""API keys with roles: who may read, change, and administer opscast."""
