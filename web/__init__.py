"""StreamLab's web layer: thin blueprints that read a request and hand plain values to the core."""
