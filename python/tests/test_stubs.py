"""The type stubs (.pyi) cover the public API, and every mechanism documents its privacy claim."""

import ast
import importlib
import inspect
import pathlib

import pytest

PACKAGE = pathlib.Path(importlib.import_module("dpkit").__file__).parent
MODULES = {
    "dpkit.mechanisms": "mechanisms.pyi",
    "dpkit.accounting": "accounting/__init__.pyi",
    "dpkit.testing": "testing.pyi",
    "dpkit.ledger": "ledger.pyi",
    "dpkit.synth": "synth.pyi",
    "dpkit.pii": "pii.pyi",
    "dpkit.report": "report.pyi",
    "dpkit.pipeline": "pipeline.pyi",
}


def stub_names(stub: str) -> set:
    tree = ast.parse((PACKAGE / stub).read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname for a in node.names if a.asname == a.name)
    return names


@pytest.mark.parametrize("module, stub", MODULES.items())
def test_stub_declares_every_public_name(module, stub):
    public = set(importlib.import_module(module).__all__)
    assert public - stub_names(stub) == set()


@pytest.mark.parametrize(
    "name", ["Laplace", "DiscreteLaplace", "Gaussian", "DiscreteGaussian", "Selection",
             "SparseVector", "RandomizedResponse"])
def test_every_mechanism_states_its_privacy_claim(name):
    cls = getattr(importlib.import_module("dpkit.mechanisms"), name)
    assert "Privacy" in cls.__doc__
    assert "privacy_claim" in dir(cls) and "privacy_map" in dir(cls)


def test_accounting_and_ledger_document_their_guarantees():
    import dpkit
    from dpkit.accounting import Accountant, OpacusAccountant

    for obj in (Accountant, OpacusAccountant, dpkit.Ledger, dpkit.PrivacyMap):
        assert len(inspect.getdoc(obj)) > 200, obj
    assert "upper bound" in inspect.getdoc(importlib.import_module("dpkit.accounting.opacus"))
