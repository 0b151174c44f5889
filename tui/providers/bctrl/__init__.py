"""bctrl's invocation API: client, models, source."""
