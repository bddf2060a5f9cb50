"""The handoff: what happens to a lead once it is an MQL (stages, routing, delivery)."""
