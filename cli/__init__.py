"""Talkie's headless command line, a thin shell over ``engine``."""
