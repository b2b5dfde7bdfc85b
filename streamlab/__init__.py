"""StreamLab's core: simulated LLM replies turned into Server-Sent Events.

Plain Python with no web framework, so every piece can be tested without a server.
Data flows one way: conversation -> options -> reply -> events -> bytes on the wire.
"""
