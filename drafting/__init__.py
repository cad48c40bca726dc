"""huashu drafting engine: ticket in → model → reply → guards → draft out."""
