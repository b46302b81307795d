"""Tests of dpkit serve (python -m dpkit.serve): API, security, load, browser."""
