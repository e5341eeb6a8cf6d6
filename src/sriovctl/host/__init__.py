"""The host model and its readers: everything sriovctl knows about a machine comes from here.

Readers take a `Root` (the live "/" or a captured snapshot) and never write.
"""
