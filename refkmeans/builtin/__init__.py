"""Plugins that are always on: the built-in initializers, metrics and the Netpbm codec."""
