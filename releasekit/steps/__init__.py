"""The steps of a release, one module each: plan first (pure), then act."""
