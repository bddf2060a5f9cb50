"""The handoff: stages, routing, SLAs and delivery of MQLs to sales."""
