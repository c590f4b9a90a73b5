"""Channel adapters: verify, parse and normalise provider payloads; send replies."""
