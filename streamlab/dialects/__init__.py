"""Provider API formats ("dialects"): each a parser on the way in and a Framing on the way out."""
