"""Writes small torch.save-format checkpoints for the reader's tests, without PyTorch.

The zip layout (<stem>/data.pkl, <stem>/data/<key>, <stem>/version) and the pickle (GLOBALs for
torch._utils._rebuild_tensor_v2 and torch.*Storage, persistent ids ('storage', type, key, 'cpu', numel))
are those that torch.save writes; stand-in modules named like torch's make Python's pickler emit them.
Run: python3 make_checkpoints.py (needs numpy); outputs the *.pth files next to this script.
"""
import collections, io, os, pickle, sys, types, zipfile
import numpy as np

torch = types.ModuleType("torch"); utils = types.ModuleType("torch._utils")
sys.modules["torch"] = torch; sys.modules["torch._utils"] = utils
for name in ["FloatStorage", "HalfStorage", "BFloat16Storage", "LongStorage"]:
    cls = type(name, (), {"__module__": "torch"}); setattr(torch, name, cls)
def _rebuild_tensor_v2(*a): pass
_rebuild_tensor_v2.__module__ = "torch._utils"; utils._rebuild_tensor_v2 = _rebuild_tensor_v2

class Storage:
    def __init__(self, key, kind, data): self.key, self.kind, self.data = key, kind, data
class Tensor:
    def __init__(self, storage, offset, size, stride): self.args = (storage, offset, tuple(size), tuple(stride))
    def __reduce__(self):
        return (_rebuild_tensor_v2, self.args + (False, collections.OrderedDict()))

class Writer(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            numel = obj.numel if hasattr(obj, "numel") else len(obj.data) // {"FloatStorage": 4, "HalfStorage": 2,
                    "BFloat16Storage": 2, "LongStorage": 8}[obj.kind]
            return ("storage", getattr(torch, obj.kind), obj.key, "cpu", numel)
        return None

def save(path, obj, storages, pickle_bytes=None):
    stem = os.path.splitext(os.path.basename(path))[0]
    if pickle_bytes is None:
        buf = io.BytesIO(); Writer(buf, protocol=2).dump(obj); pickle_bytes = buf.getvalue()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(stem + "/data.pkl", pickle_bytes)
        for s in storages: z.writestr(stem + "/data/" + s.key, s.data)
        z.writestr(stem + "/version", "3\n")

here = os.path.dirname(os.path.abspath(__file__))
f32 = lambda a: np.asarray(a, dtype="<f4").tobytes()

# Nested under 'model' in a training checkpoint, with other entries beside it.
s0 = Storage("0", "FloatStorage", f32([1, 2, 3, 4, 5, 6]))
save(os.path.join(here, "nested.pth"), {"epoch": 5, "model": collections.OrderedDict(
    [("layer.weight", Tensor(s0, 0, [2, 3], [3, 1]))]), "best_dice": 0.9}, [s0])

# Half and bfloat16 storages.
h = Storage("0", "HalfStorage", np.asarray([1.5, -2.0, 65504.0, 2 ** -24], dtype="<f2").tobytes())
bf = Storage("1", "BFloat16Storage", (np.asarray([1.0, -3.5, 0.15625], dtype="<f4").view("<u4") >> 16).astype("<u2").tobytes())
save(os.path.join(here, "half.pth"), collections.OrderedDict([("h", Tensor(h, 0, [4], [1])), ("bf", Tensor(bf, 0, [3], [1]))]), [h, bf])

# Views: a transposed (non-contiguous) tensor, and two tensors sharing one storage at different offsets.
s = Storage("0", "FloatStorage", f32([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
save(os.path.join(here, "views.pth"), collections.OrderedDict([
    ("transposed", Tensor(s, 0, [3, 2], [1, 3])),   # the 2x3 matrix [[0,1,2],[3,4,5]] transposed
    ("first", Tensor(s, 0, [4], [1])), ("second", Tensor(s, 6, [2, 2], [2, 1]))]), [s])

# A DataParallel checkpoint: every key starts with 'module.'.
m = Storage("0", "FloatStorage", f32([7, 8]))
save(os.path.join(here, "module_prefix.pth"), collections.OrderedDict([("module.a", Tensor(m, 0, [2], [1]))]), [m])

# A storage that declares far more elements than its archive entry holds.
big = Storage("0", "FloatStorage", f32([1, 2, 3, 4])); big.numel = 1_000_000_000
save(os.path.join(here, "oversize.pth"), collections.OrderedDict([("x", Tensor(big, 0, [1_000_000_000], [1]))]), [big])

# Malicious: os.system('echo pwned') through REDUCE, in protocol 2 and via STACK_GLOBAL (protocol 4).
class Evil:
    def __reduce__(self): return (os.system, ("echo pwned",))
save(os.path.join(here, "evil_global.pth"), None, [], pickle.dumps({"x": Evil()}, protocol=2))
save(os.path.join(here, "evil_stack_global.pth"), None, [], pickle.dumps({"x": Evil()}, protocol=4))
