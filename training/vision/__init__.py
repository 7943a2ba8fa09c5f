"""Training, evaluation and export of the face emotion classifier (docs/vision.md); not needed at run time."""
