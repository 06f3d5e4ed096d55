"""The type stub names what the compiled module has: no more, no less."""
import ast
import enum
import pathlib

import rewire
from rewire import _rewire

STUB = pathlib.Path(rewire.__file__).with_name("_rewire.pyi")


def public(names):
    return {n for n in names if not n.startswith("_")}


def stub_tree():
    return ast.parse(STUB.read_text())


def stub_top_level(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets)
    return names


def test_stub_has_every_public_name_of_the_module():
    names = stub_top_level(stub_tree()) - {"FloatArray", "EpochCallback"}  # the stub's own aliases
    assert public(names) == public(dir(_rewire))
    assert names - public(names) <= set(dir(_rewire))  # the private helpers it lists exist


def test_stub_classes_have_every_public_member():
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(_rewire, node.name)
        members = set()
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                members.add(item.name)
            elif isinstance(item, ast.AnnAssign):
                members.add(item.target.id)
        if isinstance(cls, type) and issubclass(cls, enum.Enum):
            continue
        if hasattr(cls, "__members__"):  # a pybind11 enum: its values
            assert public(members) == set(cls.__members__), node.name
            continue
        assert public(members) == public(dir(cls)), node.name
