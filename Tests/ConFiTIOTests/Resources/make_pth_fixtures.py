"""Makes the PyTorch and pickle fixtures of the ConFiTIO tests.

Run from this folder with a Python that has PyTorch; they were made with Debian 12's
own build (`apt-get install python3-torch`, PyTorch 1.13.1, run as /usr/bin/python3):

    /usr/bin/python3 make_pth_fixtures.py

Every value below is written out by hand; the Swift tests assert the same literals, so
they check the reader against PyTorch's own `torch.save`, not against themselves.
Legacy files name storages by memory address, so a rerun changes their bytes, not
their content.

Files:
  state_zip.pth       STATE (below) saved with torch.save (zip format, PyTorch >= 1.6)
  state_legacy.pth    STATE saved with _use_new_zipfile_serialization=False (legacy)
  nested_zip.pth      {"epoch": 3, "model": {"module.fc.weight", "module.fc.bias"},
                       "optimizer": {...}, "dtype": torch.float16, "note": "hi"}
  nested_legacy.pth   {"arch": "tiny", "state_dict": {"module.model.conv.weight",
                       "module.model.conv.bias"}}
  plain_p2.pkl ... plain_p5.pkl   PLAIN (below) pickled with protocols 2 to 5
  byteorder_little.pth, byteorder_big.pth   nested_zip.pth plus the <name>/byteorder
                      entry that PyTorch >= 2.1 writes, saying "little" or "big"
  malicious_zip.pth, malicious_legacy.pth   torch.save's layouts around a pickle that
                      calls os.system("echo pwned") (GLOBAL 'posix system' at byte 2):
                      readers must refuse the global, never run it
"""
import collections
import os
import pickle
import zipfile

import torch

base = torch.arange(12.0).reshape(3, 4)  # one storage shared by "transposed" and "column"

STATE = collections.OrderedDict([
    ("f32", torch.tensor([[1.5, -2.0, 3.25], [0.0, 4.5, -6.75]], dtype=torch.float32)),
    ("f16", torch.tensor([0.5, -1.0, 65504.0], dtype=torch.float16)),
    ("bf16", torch.tensor([1.0, -2.5, 3.0], dtype=torch.bfloat16)),
    ("f64", torch.tensor([0.001, -2.0], dtype=torch.float64)),
    ("i64", torch.tensor([-3, 0, 7, 2**40], dtype=torch.int64)),
    ("i32", torch.tensor([1, -2, 3], dtype=torch.int32)),
    ("u8", torch.tensor([0, 1, 255], dtype=torch.uint8)),
    ("bool", torch.tensor([True, False, True])),
    ("scalar", torch.tensor(7.5)),
    ("transposed", base.t()),                         # [[0,4,8],[1,5,9],[2,6,10],[3,7,11]], strides (1, 4)
    ("column", base[:, 2]),                           # [2, 6, 10], storage offset 2, stride 4
    ("sliced", torch.arange(10.0)[3:7]),              # [3, 4, 5, 6], storage offset 3
    ("strided", torch.arange(10.0, dtype=torch.float64)[1::3]),  # [1, 4, 7], stride 3
    ("expanded", torch.tensor([1.0, 2.0]).expand(3, 2)),         # [[1,2],[1,2],[1,2]], strides (0, 1)
    ("param", torch.nn.Parameter(torch.tensor([0.25, 0.75]))),   # via _rebuild_parameter
    ("empty", torch.zeros(0, 3)),
])

torch.save(STATE, "state_zip.pth")
torch.save(STATE, "state_legacy.pth", _use_new_zipfile_serialization=False)

torch.save({
    "epoch": 3,
    "model": collections.OrderedDict([
        ("module.fc.weight", torch.tensor([[0.5, -0.5], [1.0, 2.0]])),
        ("module.fc.bias", torch.tensor([0.125, -0.125])),
    ]),
    "optimizer": {"lr": 0.01, "betas": (0.9, 0.999), "steps": [1, 2]},
    "dtype": torch.float16,
    "note": "hi",
}, "nested_zip.pth")

torch.save({
    "arch": "tiny",
    "state_dict": {
        "module.model.conv.weight": torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]),
        "module.model.conv.bias": torch.tensor([-1.0]),
    },
}, "nested_legacy.pth", _use_new_zipfile_serialization=False)

for order in ("little", "big"):
    with zipfile.ZipFile("nested_zip.pth") as source, zipfile.ZipFile(f"byteorder_{order}.pth", "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        target.writestr("nested_zip/byteorder", order)

shared = [7, 8]
for protocol in (2, 3, 4, 5):
    PLAIN = collections.OrderedDict([
        ("int", 7), ("negative", -123456), ("int64_min", -2**63), ("big", 2**70),
        ("float", 1.25), ("text", "h\u00e9llo"), ("none", None), ("yes", True), ("no", False),
        ("nested", [1, [2, 3], (4,)]), ("empty_tuple", ()), ("shared_a", shared), ("shared_b", shared),
        ("long_text", "x" * 300),
    ])
    if protocol >= 3:  # protocol 2 pickles bytes as a call to _codecs.encode
        PLAIN["bytes"] = b"\x00\xff"
    with open(f"plain_p{protocol}.pkl", "wb") as f:
        pickle.dump(PLAIN, f, protocol=protocol)


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


exploit = pickle.dumps(Exploit(), protocol=2)
with zipfile.ZipFile("malicious_zip.pth", "w") as archive:
    archive.writestr("archive/data.pkl", exploit)
    archive.writestr("archive/version", "3\n")
with open("malicious_legacy.pth", "wb") as f:
    pickle.dump(0x1950A86A20F9469CFC6C, f, protocol=2)
    pickle.dump(1001, f, protocol=2)
    pickle.dump({"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}, f, protocol=2)
    f.write(exploit)
    pickle.dump([], f, protocol=2)
