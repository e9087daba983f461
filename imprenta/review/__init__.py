"""Reviewing a document: observations returned by entities and their report, and changes between versions."""
