"""Renderers: terminal tables, JSON and CSV, and the HTML report. They read result dicts only."""
