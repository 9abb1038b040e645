"""Regional road graph: loading, speeds, snapping, travel-time matrices, paths and zones."""
