"""The package as a user meets it: the stubs describe the real module,
everything public has a docstring, and packet views outlive their Packet."""
import ast
import gc
import inspect
from pathlib import Path

import numpy as np

import libasp

STUB = Path(__file__).resolve().parents[1] / "libasp.pyi"
SEED_NAMES = ["estimate_motion_numpy", "MotionEstimator", "extract_colors", "extract_colors_with_weights",
              "DctTransform", "detect_roi", "create_i_packet", "create_d_packet_numpy", "parse_packet"]


def stub_names():
    tree = ast.parse(STUB.read_text())
    top = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            members = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} if isinstance(node, ast.ClassDef) else set()
            members |= {n.target.id for n in getattr(node, "body", []) if isinstance(n, ast.AnnAssign)}
            top[node.name] = members
        elif isinstance(node, ast.AnnAssign):
            top[node.target.id] = set()
    return top


def public(obj):
    return {n for n in dir(obj) if not n.startswith("_")}


def test_the_seed_api_is_all_there():
    for name in SEED_NAMES:
        assert callable(getattr(libasp, name)), name


def test_stubs_and_module_agree():
    stubs = stub_names()
    aliases = {"Algorithm", "U8Array", "I32Array", "F32Array", "BytesLike", "Planes", "Frame", "Fps",
               "FrameFormat", "Picture", "PathLike"}
    module = public(libasp) - {"libasp"}  # maturin's package re-exports the extension module itself
    assert module - set(stubs) == set(), "in the module, missing from libasp.pyi"
    assert set(stubs) - aliases - {"__version__"} - module == set(), "in libasp.pyi, missing from the module"
    for name, members in stubs.items():
        obj = getattr(libasp, name, None)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            real = public(obj)
            dunders = {m for m in members if m.startswith("__")}
            assert all(hasattr(obj, m) for m in dunders), (name, dunders)
            assert members - dunders <= real, (name, members - dunders - real)
            assert real <= members, (name, real - members)


def test_everything_public_has_a_docstring():
    assert libasp.__doc__ and "ASP" in libasp.__doc__
    for name in public(libasp) - {"libasp", "MOTION_VECTOR_DTYPE", "PACKET_I", "PACKET_D", "PACKET_C", "PACKET_S"}:
        obj = getattr(libasp, name)
        if callable(obj):
            assert obj.__doc__ and len(obj.__doc__.strip()) > 20, name
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for member in public(obj):
                doc = getattr(obj, member).__doc__
                assert doc and doc.strip(), f"{name}.{member}"


def test_signatures_use_the_seed_argument_names():
    assert list(inspect.signature(libasp.estimate_motion_numpy).parameters)[:5] == \
        ["current", "previous", "block_size", "search_range", "algorithm"]
    assert list(inspect.signature(libasp.detect_roi).parameters) == ["frame", "previous_frame", "width", "height", "methods"]
    assert list(inspect.signature(libasp.extract_colors).parameters) == ["pixels", "num_colors", "method"]
    assert list(inspect.signature(libasp.create_d_packet_numpy).parameters)[:3] == ["sequence", "ref_sequence", "motion_vectors"]


def test_a_motion_vector_view_outlives_its_packet():
    mv = np.array([[1, 2, -3, 4, 99]], np.int32)
    packet = libasp.Packet(libasp.create_d_packet_numpy(5, 4, mv))
    view = packet.motion_vectors
    del packet
    gc.collect()
    assert view[0]["dx"] == -3 and view[0]["sad"] == 99
