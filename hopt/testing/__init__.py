"""Conformance kits: the contract every suggest algorithm (and later backend) keeps."""
