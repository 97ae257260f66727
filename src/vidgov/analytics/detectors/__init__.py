"""Detector backends, one module each holding its config model and implementation."""
