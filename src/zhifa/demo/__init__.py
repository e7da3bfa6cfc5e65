"""The demo county shipped with the project (its own files under demo/data/)."""
