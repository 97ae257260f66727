"""One router per resource; each route declares the action it performs."""
