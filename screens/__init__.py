"""Textual views: one screen per step. They read and write through wizard/ only."""
