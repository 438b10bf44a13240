"""Test and bench tooling: SIP seat phones, SIPp callers, the call-load model, benchmarks.

Never imported by the running product (acd, ivr, case_store, hotline); tests, the
benchmarks and `hotline bench` (through the `hotline.commands` entry point) use it.
"""
