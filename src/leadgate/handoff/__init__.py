"""The handoff: what happens to a lead after scoring (stages, routing, SLAs and delivery).
Each part is its own module; see :mod:`leadgate.handoff.stages` first."""
